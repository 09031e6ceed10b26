//! Writing engagement deltas to SQLite: one prepared statement per row, in the one transaction.

use super::fold::EngagementDelta;
use crate::time::micros;
use sqlx::{Sqlite, Transaction};

pub async fn write(tx: &mut Transaction<'static, Sqlite>, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    for (id, d) in &delta.counters {
        sqlx::query(
            "INSERT INTO item_counters (item_id, views, likes, shares, bookmarks, comments) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (item_id) DO UPDATE SET views = views + excluded.views, likes = likes + excluded.likes, \
               shares = shares + excluded.shares, bookmarks = bookmarks + excluded.bookmarks, \
               comments = comments + excluded.comments",
        )
        .bind(id)
        .bind(d.views)
        .bind(d.likes)
        .bind(d.shares)
        .bind(d.bookmarks)
        .bind(d.comments)
        .execute(&mut **tx)
        .await?;
    }
    for ((user, item), d) in &delta.users {
        // SQLite's two-argument min/max return NULL if either is NULL, hence the COALESCEs.
        sqlx::query(
            "INSERT INTO user_items (user_id, item_id, first_viewed_at, last_viewed_at, views, liked, bookmarked) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_id, item_id) DO UPDATE SET \
               first_viewed_at = COALESCE(min(first_viewed_at, excluded.first_viewed_at), first_viewed_at, \
                                          excluded.first_viewed_at), \
               last_viewed_at = COALESCE(max(last_viewed_at, excluded.last_viewed_at), last_viewed_at, \
                                         excluded.last_viewed_at), \
               views = views + excluded.views, \
               liked = COALESCE(excluded.liked, liked), \
               bookmarked = COALESCE(excluded.bookmarked, bookmarked)",
        )
        .bind(user)
        .bind(item)
        .bind(d.first_viewed_at.map(micros))
        .bind(d.last_viewed_at.map(micros))
        .bind(d.views)
        .bind(d.liked)
        .bind(d.bookmarked)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds to each item's counter the views its `user_items` rows hold (a rebuild's bulk
/// completion: the rows were built without counting views).
pub async fn count_views(tx: &mut Transaction<'static, Sqlite>) -> Result<(), sqlx::Error> {
    // `WHERE true`: SQLite's documented way to keep an upsert's SELECT unambiguous.
    sqlx::query(
        "INSERT INTO item_counters (item_id, views) \
         SELECT item_id, sum(views) FROM user_items WHERE true GROUP BY item_id HAVING sum(views) > 0 \
         ON CONFLICT (item_id) DO UPDATE SET views = views + excluded.views",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
