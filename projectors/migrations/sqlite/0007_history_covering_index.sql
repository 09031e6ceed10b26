-- A user's history page reads each row's first view, view count, like and bookmark too: with them
-- at the end of the history index's key (SQLite has no INCLUDE), the page is read from the index
-- alone, without a primary-key lookup per row. See migrations/postgres/0009.
DROP INDEX user_items_history_idx;
CREATE INDEX user_items_history_idx
    ON user_items (user_id, last_viewed_at DESC, item_id, first_viewed_at, views, liked, bookmarked)
    WHERE last_viewed_at IS NOT NULL;
