-- Lists show cards: an item's document without the fields its type defines "listed": false (an
-- article's body), so a list page reads and sends a fraction of the bytes. NULL when the card
-- would be the document itself; that is every row written before this migration (no field could
-- be unlisted then), so nothing needs filling. The query API reads COALESCE(card, document).
ALTER TABLE content_items ADD COLUMN card text;
ALTER TABLE content_items ALTER COLUMN card SET COMPRESSION lz4;
