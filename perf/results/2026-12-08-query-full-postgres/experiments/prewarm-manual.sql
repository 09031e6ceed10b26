-- After a restart of the machine, the read models' pages the six shapes read, into the page cache
-- (and the small, hot ones into shared buffers) before measuring: a serving database holds them.
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT c.oid::regclass AS relation, pg_size_pretty(pg_relation_size(c.oid)) AS size,
       pg_prewarm(c.oid, 'read') AS pages_read
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read' AND c.relkind IN ('r', 'i')
  AND (c.relname LIKE 'content_items%' OR c.relname LIKE 'user_items%' OR c.relname LIKE 'item_counters%'
       OR c.relname LIKE 'content_embeds%' OR c.relname = 'content_refs_target_idx')
UNION ALL
SELECT c.reltoastrelid::regclass, pg_size_pretty(pg_relation_size(c.reltoastrelid)), pg_prewarm(c.reltoastrelid, 'read')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read' AND c.relname = 'content_items';
SELECT c.oid::regclass AS relation, pg_prewarm(c.oid, 'buffer') AS pages_in_shared_buffers
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'folio_read' AND c.relname IN ('item_counters', 'item_counters_pkey', 'content_embeds', 'content_embeds_pkey', 'content_items_slug_idx');
