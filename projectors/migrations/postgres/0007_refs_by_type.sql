-- A list by relation (by tag, by author) asks for one content type: with the type in the index
-- the page is an index-only range, instead of a heap fetch per row to check the type. pgbench,
-- by_tag on the quick data: 0.47-0.48 ms per statement before, 0.39-0.43 ms after
-- (perf/RESULTS.md, "Relations by type").
DROP INDEX content_refs_target_idx;
CREATE INDEX content_refs_target_idx
    ON content_refs (target, field, status, type, published_at DESC NULLS LAST, item_id DESC);
