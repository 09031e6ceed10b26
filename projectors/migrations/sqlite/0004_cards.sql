-- Lists show cards: see migrations/postgres/0006_cards.sql. SQLite reads a row's columns in
-- order and a long row continues on overflow pages, so the table is rebuilt with the columns
-- lists read (card, embed, document) before the raw fields only the projector reads. Rowids are
-- kept: content_search's rows are keyed by them.
CREATE TABLE content_items_next (
    id           BLOB    NOT NULL PRIMARY KEY,
    type         TEXT    NOT NULL,
    slug         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    publish_at   INTEGER,
    archived_at  INTEGER,
    card         TEXT,
    embed        TEXT    NOT NULL,
    document     TEXT    NOT NULL,
    fields       TEXT    NOT NULL
);
INSERT INTO content_items_next (rowid, id, type, slug, status, version, position, created_at, updated_at,
                                published_at, publish_at, archived_at, card, embed, document, fields)
SELECT rowid, id, type, slug, status, version, position, created_at, updated_at,
       published_at, publish_at, archived_at, NULL, embed, document, fields
FROM content_items;
DROP TABLE content_items;
ALTER TABLE content_items_next RENAME TO content_items;
CREATE INDEX content_items_slug_idx ON content_items (type, slug);
CREATE INDEX content_items_list_idx ON content_items (type, status, published_at DESC, id DESC);
