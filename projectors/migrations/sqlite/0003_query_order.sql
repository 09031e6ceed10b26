-- Sortable fields now have a row even without a value (num and txt NULL), so the value indexes
-- are no longer partial: a sort by a field is one range that includes the items lacking it
-- (NULL sorts lowest; see migrations/postgres/0004_query_order.sql for the shared order).
DROP INDEX content_values_num_idx;
DROP INDEX content_values_txt_idx;
CREATE INDEX content_values_num_idx ON content_values (type, field, status, num, item_id);
CREATE INDEX content_values_txt_idx ON content_values (type, field, status, txt, item_id);

-- The query API's own settings (see migrations/postgres/0004_query_order.sql).
CREATE TABLE query_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
