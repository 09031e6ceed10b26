//! Writing engagement deltas to SQLite: multi-row upserts ([`crate::sqlite_rows`]), in the one
//! transaction.

use super::fold::{CounterDelta, EngagementDelta, UserItemDelta};
use crate::sqlite_rows::Insert;
use crate::time::micros;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

const COUNTERS: Insert<'static> = Insert {
    head: "INSERT INTO item_counters (item_id, views, likes, shares, bookmarks, comments) ",
    columns: 6,
    tail: " ON CONFLICT (item_id) DO UPDATE SET views = views + excluded.views, likes = likes + excluded.likes, \
           shares = shares + excluded.shares, bookmarks = bookmarks + excluded.bookmarks, \
           comments = comments + excluded.comments",
};

// SQLite's two-argument min/max return NULL if either is NULL, hence the COALESCEs.
const USER_ITEMS: Insert<'static> = Insert {
    head: "INSERT INTO user_items (user_id, item_id, first_viewed_at, last_viewed_at, views, liked, bookmarked) ",
    columns: 7,
    tail: " ON CONFLICT (user_id, item_id) DO UPDATE SET \
           first_viewed_at = COALESCE(min(first_viewed_at, excluded.first_viewed_at), first_viewed_at, \
                                      excluded.first_viewed_at), \
           last_viewed_at = COALESCE(max(last_viewed_at, excluded.last_viewed_at), last_viewed_at, \
                                     excluded.last_viewed_at), \
           views = views + excluded.views, \
           liked = COALESCE(excluded.liked, liked), \
           bookmarked = COALESCE(excluded.bookmarked, bookmarked)",
};

pub async fn write(tx: &mut Transaction<'static, Sqlite>, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    let counters: Vec<(&Uuid, &CounterDelta)> = delta.counters.iter().collect();
    COUNTERS
        .execute(tx, &counters, |row, (id, d)| {
            row.push_bind(*id)
                .push_bind(d.views)
                .push_bind(d.likes)
                .push_bind(d.shares)
                .push_bind(d.bookmarks)
                .push_bind(d.comments);
        })
        .await?;
    let users: Vec<(&(String, Uuid), &UserItemDelta)> = delta.users.iter().collect();
    USER_ITEMS
        .execute(tx, &users, |row, ((user, item), d)| {
            row.push_bind(user.as_str())
                .push_bind(*item)
                .push_bind(d.first_viewed_at.map(micros))
                .push_bind(d.last_viewed_at.map(micros))
                .push_bind(d.views)
                .push_bind(d.liked)
                .push_bind(d.bookmarked);
        })
        .await
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
