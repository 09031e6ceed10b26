-- The search vector is the one large column of content_items still compressed with pglz:
-- migrations 0002 and 0006 moved the raw fields, the document, the embed and the card to lz4.
-- A bench article's row (~7 kB) is over the ~2 kB TOAST threshold, so its vector is compressed
-- too. Only values written from now on use lz4: a rebuild rewrites them all.
ALTER TABLE content_items ALTER COLUMN search SET COMPRESSION lz4;
