-- What a user's history shows of each item, apart from the wide content_items row: see
-- migrations/postgres/0008_content_embeds.sql. Here a lookup by id in content_items went through
-- its id index, then the rowid table, and for long rows an overflow page; this table is keyed by
-- id (no rowid) and small enough to stay in memory.
CREATE TABLE content_embeds (
    id     BLOB NOT NULL PRIMARY KEY,
    status TEXT NOT NULL,
    embed  TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO content_embeds (id, status, embed) SELECT id, status, embed FROM content_items;
