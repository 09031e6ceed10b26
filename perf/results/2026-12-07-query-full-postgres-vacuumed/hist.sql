\set u random(1, 100000)
SELECT u.item_id, u.first_viewed_at, u.last_viewed_at, u.views, u.liked, u.bookmarked, e.embed FROM user_items u JOIN content_embeds e ON e.id = u.item_id WHERE u.user_id = CAST(:u AS text) AND u.last_viewed_at IS NOT NULL AND e.status = ANY('{published}') ORDER BY u.last_viewed_at DESC, u.item_id LIMIT 21;
