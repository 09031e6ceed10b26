-- Large text columns compress with lz4 instead of pglz: pglz was 15% of the content
-- projection's database CPU during catch-up (perf/RESULTS.md); lz4 is several times cheaper.
ALTER TABLE content_items ALTER COLUMN fields SET COMPRESSION lz4;
ALTER TABLE content_items ALTER COLUMN document SET COMPRESSION lz4;
ALTER TABLE content_items ALTER COLUMN embed SET COMPRESSION lz4;
ALTER TABLE comments ALTER COLUMN body SET COMPRESSION lz4;
