-- query-bench, PostgreSQL, before the first window: the read models' relations the six shapes
-- read, into the operating system's page cache, and the small ones every read probes into shared
-- buffers. A serving database holds them; after a restart of the machine the first windows
-- otherwise measure disk reads and buffer misses (perf/RESULTS.md, 2026-12-08). One row per
-- relation: its name, its size in MB, how many pages were read.
SELECT c.oid::regclass::text, pg_relation_size(c.oid) / 1048576, pg_prewarm(c.oid, 'read')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read' AND c.relkind IN ('r', 'i')
  AND (c.relname LIKE 'content\_items%' OR c.relname LIKE 'user\_items%' OR c.relname LIKE 'item\_counters%'
       OR c.relname LIKE 'content\_embeds%' OR c.relname = 'content_refs_target_idx')
UNION ALL
SELECT c.reltoastrelid::regclass::text, pg_relation_size(c.reltoastrelid) / 1048576, pg_prewarm(c.reltoastrelid, 'read')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read' AND c.relname = 'content_items' AND c.reltoastrelid <> 0
UNION ALL
SELECT c.oid::regclass::text || ' (shared buffers)', pg_relation_size(c.oid) / 1048576, pg_prewarm(c.oid, 'buffer')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read'
  AND c.relname IN ('item_counters', 'item_counters_pkey', 'content_embeds', 'content_embeds_pkey', 'content_items_slug_idx')
