-- The database alone building the engagement projection's rows from the event log: the same
-- tables and indexes (a scratch copy of user_items, hash-partitioned by user, and item_counters),
-- filled by two set-based INSERT ... SELECT statements straight from folio_events. This is the
-- ceiling for what the engagement projector (which also decodes each event, folds per batch and
-- upserts) could reach on this machine. Run with psql -v ON_ERROR_STOP=1 on a seeded database.
\timing on
DROP SCHEMA IF EXISTS folio_ceiling CASCADE;
CREATE SCHEMA folio_ceiling;
CREATE TABLE folio_ceiling.user_items (LIKE folio_read.user_items) PARTITION BY HASH (user_id);
DO $$
BEGIN
  FOR r IN 0..15 LOOP
    EXECUTE format('CREATE TABLE folio_ceiling.user_items_p%s PARTITION OF folio_ceiling.user_items '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)', r, r);
  END LOOP;
END $$;
ALTER TABLE folio_ceiling.user_items ADD PRIMARY KEY (user_id, item_id);
CREATE INDEX ON folio_ceiling.user_items (user_id, last_viewed_at DESC, item_id) WHERE last_viewed_at IS NOT NULL;
CREATE TABLE folio_ceiling.item_counters (LIKE folio_read.item_counters INCLUDING ALL);
INSERT INTO folio_ceiling.user_items (user_id, item_id, first_viewed_at, last_viewed_at, views)
  SELECT data->>'user', (data->>'content_id')::uuid, min((data->>'at')::timestamptz), max((data->>'at')::timestamptz), count(*)
  FROM public.folio_events WHERE event_type = 'ContentViewed' GROUP BY 1, 2;
INSERT INTO folio_ceiling.item_counters (item_id, views)
  SELECT (data->>'content_id')::uuid, count(*) FROM public.folio_events WHERE event_type = 'ContentViewed' GROUP BY 1;
SELECT count(*) AS user_item_rows FROM folio_ceiling.user_items;
DROP SCHEMA folio_ceiling CASCADE;
