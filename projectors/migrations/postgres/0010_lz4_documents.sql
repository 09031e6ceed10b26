-- A bench article's row (raw fields, document, card, embed, search vector: ~7 kB) is over
-- PostgreSQL's ~2 kB TOAST threshold, so every one of those columns is stored compressed, the
-- card a list entry shows included. lz4 instead of the default pglz: on the quick bench data,
-- writing the 111k items' columns took 2.1 s against 6.7 s, and reading the 100k cards back
-- 252 ms against 343 ms (perf/RESULTS.md, "lz4"). Only values written from now on use it: a
-- rebuild rewrites them all. A server built without lz4 lists no 'lz4' among
-- default_toast_compression's values and keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE content_items
            ALTER COLUMN fields SET COMPRESSION lz4,
            ALTER COLUMN embed SET COMPRESSION lz4,
            ALTER COLUMN document SET COMPRESSION lz4,
            ALTER COLUMN card SET COMPRESSION lz4,
            ALTER COLUMN search SET COMPRESSION lz4;
    END IF;
END
$$;
