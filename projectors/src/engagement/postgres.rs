//! Writing engagement deltas to PostgreSQL: one UNNEST upsert per table.

use super::fold::EngagementDelta;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

pub async fn write(tx: &mut Transaction<'static, Postgres>, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    write_counters(tx, delta).await?;
    write_users(tx, delta).await
}

async fn write_counters(conn: &mut PgConnection, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    if delta.counters.is_empty() {
        return Ok(());
    }
    let n = delta.counters.len();
    let (mut ids, mut views, mut likes, mut shares, mut bookmarks, mut comments) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (id, d) in &delta.counters {
        ids.push(*id);
        views.push(d.views);
        likes.push(d.likes);
        shares.push(d.shares);
        bookmarks.push(d.bookmarks);
        comments.push(d.comments);
    }
    sqlx::query(
        "INSERT INTO item_counters (item_id, views, likes, shares, bookmarks, comments) \
         SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]) \
         ON CONFLICT (item_id) DO UPDATE SET views = item_counters.views + EXCLUDED.views, \
           likes = item_counters.likes + EXCLUDED.likes, shares = item_counters.shares + EXCLUDED.shares, \
           bookmarks = item_counters.bookmarks + EXCLUDED.bookmarks, \
           comments = item_counters.comments + EXCLUDED.comments",
    )
    .bind(ids)
    .bind(views)
    .bind(likes)
    .bind(shares)
    .bind(bookmarks)
    .bind(comments)
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_users(conn: &mut PgConnection, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    if delta.users.is_empty() {
        return Ok(());
    }
    let n = delta.users.len();
    let mut users: Vec<&str> = Vec::with_capacity(n);
    let mut items: Vec<Uuid> = Vec::with_capacity(n);
    let mut first: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(n);
    let mut last: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(n);
    let mut views: Vec<i32> = Vec::with_capacity(n);
    let mut liked: Vec<Option<bool>> = Vec::with_capacity(n);
    let mut bookmarked: Vec<Option<bool>> = Vec::with_capacity(n);
    for ((user, item), d) in &delta.users {
        users.push(user);
        items.push(*item);
        first.push(d.first_viewed_at);
        last.push(d.last_viewed_at);
        views.push(d.views);
        liked.push(d.liked);
        bookmarked.push(d.bookmarked);
    }
    // LEAST/GREATEST ignore NULLs; a NULL liked/bookmarked in the delta leaves the row's value.
    sqlx::query(
        "INSERT INTO user_items (user_id, item_id, first_viewed_at, last_viewed_at, views, liked, bookmarked) \
         SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int4[], \
                              $6::bool[], $7::bool[]) \
         ON CONFLICT (user_id, item_id) DO UPDATE SET \
           first_viewed_at = LEAST(user_items.first_viewed_at, EXCLUDED.first_viewed_at), \
           last_viewed_at = GREATEST(user_items.last_viewed_at, EXCLUDED.last_viewed_at), \
           views = user_items.views + EXCLUDED.views, \
           liked = COALESCE(EXCLUDED.liked, user_items.liked), \
           bookmarked = COALESCE(EXCLUDED.bookmarked, user_items.bookmarked)",
    )
    .bind(users)
    .bind(items)
    .bind(first)
    .bind(last)
    .bind(views)
    .bind(liked)
    .bind(bookmarked)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds to each item's counter the views its `user_items` rows hold (a rebuild's bulk
/// completion: the rows were built without counting views).
pub async fn count_views(tx: &mut Transaction<'static, Postgres>) -> Result<(), sqlx::Error> {
    // One hash aggregate over every row: room for a million items' sums without spilling.
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut **tx).await?;
    sqlx::query(
        "INSERT INTO item_counters (item_id, views) \
         SELECT item_id, sum(views) FROM user_items GROUP BY item_id HAVING sum(views) > 0 \
         ON CONFLICT (item_id) DO UPDATE SET views = item_counters.views + EXCLUDED.views",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
