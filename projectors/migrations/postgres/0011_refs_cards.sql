-- Each reference row carries its item's list card (the card, or the document when the item has
-- none), so a page by one relation alone (by tag, by author, in a category's subtree) is one
-- range of content_refs and its rows, without a primary-key probe of content_items per entry:
-- at full bench size by_tag read 113 buffers per page instead of 173. The content projection
-- writes it with the refs, in the same transaction as the item's own card, and rewrites an
-- item's refs whenever it renders the item again, so the copies never lag the card.
-- Rows are small enough to stay uncompressed and inline; a large document (an item without a
-- card) is compressed with lz4 like content_items' columns.
-- SQLite keeps its WITHOUT ROWID content_refs narrow and joins content_items instead.
ALTER TABLE content_refs ADD COLUMN card text;
ALTER TABLE content_refs ALTER COLUMN card SET COMPRESSION lz4;
UPDATE content_refs d SET card = COALESCE(ci.card, ci.document) FROM content_items ci WHERE ci.id = d.item_id;
ALTER TABLE content_refs ALTER COLUMN card SET NOT NULL;
