\set u random(1, 100000)
SELECT u.item_id, u.first_viewed_at, u.last_viewed_at, u.views, u.liked, u.bookmarked, ci.embed FROM user_items u JOIN content_embeds ci ON ci.id = u.item_id WHERE u.user_id = :u::text AND u.last_viewed_at IS NOT NULL AND ci.status = ANY('{published}') ORDER BY u.last_viewed_at DESC, u.item_id LIMIT 21;
