db=$1
for q in "SELECT hex(id), type, slug, status, version, position, created_at, updated_at, published_at, publish_at, archived_at, fields, embed, document, card FROM content_items ORDER BY id" \
 "SELECT hex(item_id), field, hex(target), depth, ord, type, status, published_at FROM content_refs ORDER BY 1,2,3,4,5" \
 "SELECT hex(item_id), field, type, status, num, txt FROM content_values ORDER BY 1,2,5,6" \
 "SELECT hex(i.id), s.title, s.body FROM content_search s JOIN content_items i ON i.rowid = s.rowid ORDER BY 1" \
 "SELECT * FROM comments ORDER BY id" "SELECT hex(item_id), views, likes, shares, bookmarks, comments FROM item_counters ORDER BY 1" \
 "SELECT user_id, hex(item_id), first_viewed_at, last_viewed_at, views, liked, bookmarked FROM user_items ORDER BY 1, 2"; do
  printf '%s  ' "$(sqlite3 "$db" "$q" | md5sum | cut -c1-12)"
done; echo
