-- A list by relation (by tag, by author) asks for one content type: with the type in the index
-- the index covers the relation's side of the page, instead of a lookup in content_refs per row
-- to check the type (see migrations/postgres/0007_refs_by_type.sql).
DROP INDEX content_refs_target_idx;
CREATE INDEX content_refs_target_idx ON content_refs (target, field, status, type, published_at DESC, item_id DESC);
