//! Writing engagement deltas to SQLite: multi-row upserts ([`crate::sqlite_rows`]), in the one
//! transaction.

use super::fold::{CounterDelta, EngagementDelta, UserItemDelta};
use crate::sqlite_rows::{table_exists, Insert};
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

/// Where a rebuild's bulk variant sets views aside: appended, no key, no index.
const STAGED_TABLE: &str = "user_item_views_staged";

const CREATE_STAGED: &str = "CREATE TABLE IF NOT EXISTS user_item_views_staged (user_id TEXT NOT NULL, \
     item_id BLOB NOT NULL, first_viewed_at INTEGER NOT NULL, last_viewed_at INTEGER NOT NULL, views INTEGER NOT NULL)";

const STAGED: Insert<'static> = Insert {
    head: "INSERT INTO user_item_views_staged (user_id, item_id, first_viewed_at, last_viewed_at, views) ",
    columns: 5,
    tail: "",
};

pub async fn write(tx: &mut Transaction<'static, Sqlite>, delta: &EngagementDelta) -> Result<(), sqlx::Error> {
    if !delta.staged_views.is_empty() {
        sqlx::query(CREATE_STAGED).execute(&mut **tx).await?;
        let staged: Vec<(&(String, Uuid), &UserItemDelta)> = delta.staged_views.iter().collect();
        STAGED
            .execute(tx, &staged, |row, ((user, item), d)| {
                row.push_bind(user.as_str())
                    .push_bind(*item)
                    .push_bind(d.first_viewed_at.map(micros))
                    .push_bind(d.last_viewed_at.map(micros))
                    .push_bind(d.views);
            })
            .await?;
    }
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

/// A rebuild's bulk completion: merges the staged views into `user_items`, grouped and in key
/// order, so each page of the table is written once instead of once per batch (the bench's
/// views come user after user, so a batch of 5,000 touched 5,000 pages), then drops them.
pub async fn merge_staged_views(tx: &mut Transaction<'static, Sqlite>) -> Result<(), sqlx::Error> {
    if !table_exists(&mut **tx, STAGED_TABLE).await? {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT OR FAIL INTO user_items (user_id, item_id, first_viewed_at, last_viewed_at, views) \
         SELECT user_id, item_id, min(first_viewed_at), max(last_viewed_at), sum(views) FROM user_item_views_staged \
         WHERE true GROUP BY user_id, item_id ORDER BY user_id, item_id {}",
        USER_ITEMS.tail
    ))
    .execute(&mut **tx)
    .await?;
    sqlx::query("DROP TABLE user_item_views_staged").execute(&mut **tx).await?;
    Ok(())
}

/// Deletes the staged views of `items`, if any are staged.
pub async fn forget_staged_views(tx: &mut Transaction<'static, Sqlite>, items: &[Uuid]) -> Result<(), sqlx::Error> {
    if !items.is_empty() && table_exists(&mut **tx, STAGED_TABLE).await? {
        sqlx::query("DELETE FROM user_item_views_staged WHERE item_id IN (SELECT unhex(value) FROM json_each($1))")
            .bind(crate::sqlite_rows::uuid_list(items.iter().copied()))
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
