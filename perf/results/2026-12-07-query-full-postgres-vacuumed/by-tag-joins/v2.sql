\set t random(1, 1000)
SELECT ci.id, COALESCE(ci.card, ci.document), d.published_at FROM content_refs d JOIN content_items ci ON ci.id = d.item_id WHERE d.target = (SELECT id FROM content_items WHERE type = 'tag' AND slug = 'tag-' || CAST(:t AS text)) AND d.field = 'tags' AND d.status = 'published' AND d.type = 'article' ORDER BY d.published_at DESC NULLS LAST, d.item_id DESC LIMIT 21;
