-- Full text without a second copy of every title and body. FTS5 kept each row's text in its own
-- table (content_search_content: 392 MB of the 1.7 GB quick bench file), written on every item
-- write, read back on every delete (to find the terms to remove), and copied whole by every
-- rebuild's switch. Nothing reads the text back: searches match and rank (bm25) by rowid, and
-- the text comes from content_items. A contentless table (`content = ''`) keeps only the index;
-- `contentless_delete = 1` (SQLite 3.43) still lets a row be deleted or replaced by rowid.
-- Rows keep their rowids, which are content_items' rowids.
CREATE VIRTUAL TABLE content_search_index USING fts5 (
    title, body, content = '', contentless_delete = 1, tokenize = 'unicode61'
);
INSERT INTO content_search_index (rowid, title, body) SELECT rowid, title, body FROM content_search;
DROP TABLE content_search;
ALTER TABLE content_search_index RENAME TO content_search;
