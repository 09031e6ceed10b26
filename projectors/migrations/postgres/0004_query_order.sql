-- The query API orders both profiles the same way: a missing value (NULL) sorts lowest, so it
-- comes last when descending and first when ascending (SQLite's native order), and text sorts
-- by code point (SQLite's BINARY collation, PostgreSQL's "C"). These indexes give PostgreSQL that
-- order as an index range in both directions (backward for ascending).
DROP INDEX content_items_list_idx;
CREATE INDEX content_items_list_idx ON content_items (type, status, published_at DESC NULLS LAST, id DESC);

DROP INDEX content_refs_target_idx;
CREATE INDEX content_refs_target_idx ON content_refs (target, field, status, published_at DESC NULLS LAST, item_id DESC);

-- Sortable fields now have a row even without a value (num and txt NULL), so the value indexes
-- are no longer partial: a sort by a field is one range that includes the items lacking it.
DROP INDEX content_values_num_idx;
DROP INDEX content_values_txt_idx;
ALTER TABLE content_values ALTER COLUMN txt TYPE text COLLATE "C";
CREATE INDEX content_values_num_idx ON content_values (type, field, status, num DESC NULLS LAST, item_id DESC);
CREATE INDEX content_values_txt_idx ON content_values (type, field, status, txt DESC NULLS LAST, item_id DESC);

-- The query API's own settings (today: the secret that signs list cursors, made by the first
-- query API to start so every replica shares it).
CREATE TABLE query_settings (
    name  text NOT NULL PRIMARY KEY,
    value text NOT NULL
);
