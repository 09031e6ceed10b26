-- A user's history page reads, besides the item, each row's first view, view count, like and
-- bookmark. With them in the history index (INCLUDE), the page is an index-only range: it was
-- one heap fetch per row, scattered over user_items' heap (a user's rows arrive over time, each
-- on whichever page had room). Views change last_viewed_at, a key column, so every view already
-- writes a new index entry: the included columns cost space, not extra writes.
-- pgbench on the full bench data (perf/RESULTS.md, "History from a narrow table"): with
-- content_embeds, 7.5-8.2k -> 10.4-11.7k statements/s. Like 0007, this rebuilds the index in
-- one transaction: user_items is locked meanwhile (~25 s for the full data's 20M rows).
DROP INDEX user_items_history_idx;
CREATE INDEX user_items_history_idx ON user_items (user_id, last_viewed_at DESC, item_id)
    INCLUDE (first_viewed_at, views, liked, bookmarked) WHERE last_viewed_at IS NOT NULL;
