//! Every read-model row, in a backend-neutral JSON form (times as RFC 3339, rows in key order),
//! for snapshots and for "equal to a clean rebuild" comparisons.

use chrono::DateTime;
use projectors::ReadStore;
use serde_json::{json, Value};
use uuid::Uuid;

/// The time column `c` as microseconds since the epoch on either backend.
fn t(read: &ReadStore, c: &str) -> String {
    match read {
        ReadStore::Postgres(_) => format!("(extract(epoch FROM {c}) * 1000000)::int8"),
        ReadStore::Sqlite(_) => c.to_owned(),
    }
}

fn time(micros: Option<i64>) -> Value {
    micros.and_then(DateTime::from_timestamp_micros).map_or(Value::Null, |t| json!(projectors::time::render(t)))
}

macro_rules! fetch {
    ($read:expr, $sql:expr, $row:ty) => {
        match $read {
            ReadStore::Postgres(pool) => sqlx::query_as::<_, $row>(&$sql).fetch_all(pool).await.unwrap(),
            ReadStore::Sqlite(pool) => sqlx::query_as::<_, $row>(&$sql).fetch_all(pool).await.unwrap(),
        }
    };
}

pub async fn dump(read: &ReadStore) -> Value {
    json!({
        "types": types(read).await,
        "items": items(read).await,
        "refs": refs(read).await,
        "values": values(read).await,
        "comments": comments(read).await,
        "counters": counters(read).await,
        "user_items": user_items(read).await,
    })
}

/// Only the read models (not checkpoints): what a rebuild must reproduce.
pub async fn types(read: &ReadStore) -> Value {
    let rows = fetch!(read, "SELECT name, definition, version FROM content_types ORDER BY name", (String, String, i64));
    rows.into_iter()
        .map(|(name, definition, version)| {
            json!({"name": name, "definition": serde_json::from_str::<Value>(&definition).unwrap(), "version": version})
        })
        .collect()
}

pub async fn items(read: &ReadStore) -> Value {
    let sql = format!(
        "SELECT id, type, slug, status, version, {}, {}, {}, embed, document FROM content_items ORDER BY id",
        t(read, "published_at"),
        t(read, "publish_at"),
        t(read, "archived_at")
    );
    type Row = (Uuid, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>, String, String);
    let rows = fetch!(read, sql, Row);
    rows.into_iter()
        .map(|(id, type_name, slug, status, version, published, publish, archived, embed, document)| {
            json!({
                "id": id, "type": type_name, "slug": slug, "status": status, "version": version,
                "published_at": time(published), "publish_at": time(publish), "archived_at": time(archived),
                "embed": serde_json::from_str::<Value>(&embed).unwrap(),
                "document": serde_json::from_str::<Value>(&document).unwrap(),
            })
        })
        .collect()
}

pub async fn refs(read: &ReadStore) -> Value {
    let sql = format!(
        "SELECT item_id, field, target, depth, ord, type, status, {} FROM content_refs ORDER BY item_id, field, target",
        t(read, "published_at")
    );
    let rows = fetch!(read, sql, (Uuid, String, Uuid, i32, i32, String, String, Option<i64>));
    rows.into_iter()
        .map(|(item, field, target, depth, ord, type_name, status, published)| {
            json!([item, field, target, depth, ord, type_name, status, time(published)])
        })
        .collect()
}

pub async fn values(read: &ReadStore) -> Value {
    let sql = "SELECT item_id, field, type, status, num, txt FROM content_values ORDER BY item_id, field";
    let rows = fetch!(read, sql, (Uuid, String, String, String, Option<f64>, Option<String>));
    rows.into_iter().map(|(item, field, t, status, num, txt)| json!([item, field, t, status, num, txt])).collect()
}

pub async fn comments(read: &ReadStore) -> Value {
    let sql = format!(
        "SELECT id, item_id, parent_id, thread, author, body, removed, {} FROM comments ORDER BY item_id, thread",
        t(read, "edited_at")
    );
    let rows = fetch!(read, sql, (Uuid, Uuid, Option<Uuid>, String, String, String, bool, Option<i64>));
    rows.into_iter()
        .map(|(id, item, parent, thread, author, body, removed, edited)| {
            json!({"id": id, "item": item, "parent": parent, "thread": thread, "author": author, "body": body,
                   "removed": removed, "edited": edited.is_some()})
        })
        .collect()
}

pub async fn counters(read: &ReadStore) -> Value {
    let sql = "SELECT item_id, views, likes, shares, bookmarks, comments FROM item_counters ORDER BY item_id";
    let rows = fetch!(read, sql, (Uuid, i64, i64, i64, i64, i64));
    rows.into_iter()
        .map(|(item, views, likes, shares, bookmarks, comments)| {
            json!({"item": item, "views": views, "likes": likes, "shares": shares, "bookmarks": bookmarks,
                   "comments": comments})
        })
        .collect()
}

pub async fn user_items(read: &ReadStore) -> Value {
    let sql = format!(
        "SELECT user_id, item_id, {}, {}, views, liked, bookmarked FROM user_items ORDER BY user_id, item_id",
        t(read, "first_viewed_at"),
        t(read, "last_viewed_at")
    );
    let rows = fetch!(read, sql, (String, Uuid, Option<i64>, Option<i64>, i32, Option<bool>, Option<bool>));
    rows.into_iter()
        .map(|(user, item, first, last, views, liked, bookmarked)| {
            json!({"user": user, "item": item, "first_viewed_at": time(first), "last_viewed_at": time(last),
                   "views": views, "liked": liked.unwrap_or(false), "bookmarked": bookmarked.unwrap_or(false)})
        })
        .collect()
}

/// A user's history as the query API will read it: newest first.
pub async fn history(read: &ReadStore, user: &str) -> Vec<Uuid> {
    let sql = "SELECT item_id FROM user_items WHERE user_id = $1 AND last_viewed_at IS NOT NULL \
               ORDER BY last_viewed_at DESC, item_id";
    match read {
        ReadStore::Postgres(pool) => sqlx::query_scalar(sql).bind(user).fetch_all(pool).await.unwrap(),
        ReadStore::Sqlite(pool) => sqlx::query_scalar(sql).bind(user).fetch_all(pool).await.unwrap(),
    }
}

/// Items whose `field` points at `target` directly or through the tree (depth > 0).
pub async fn referencing(read: &ReadStore, field: &str, target: Uuid) -> Vec<Uuid> {
    let sql = "SELECT item_id FROM content_refs WHERE target = $1 AND field = $2 ORDER BY item_id";
    match read {
        ReadStore::Postgres(pool) => sqlx::query_scalar(sql).bind(target).bind(field).fetch_all(pool).await.unwrap(),
        ReadStore::Sqlite(pool) => sqlx::query_scalar(sql).bind(target).bind(field).fetch_all(pool).await.unwrap(),
    }
}

/// Full-text matches, by id.
pub async fn search(read: &ReadStore, words: &str) -> Vec<Uuid> {
    match read {
        ReadStore::Postgres(pool) => {
            sqlx::query_scalar("SELECT id FROM content_items WHERE search @@ plainto_tsquery('simple', $1) ORDER BY id")
                .bind(words)
                .fetch_all(pool)
                .await
                .unwrap()
        }
        ReadStore::Sqlite(pool) => sqlx::query_scalar(
            "SELECT i.id FROM content_search s JOIN content_items i ON i.rowid = s.rowid \
             WHERE content_search MATCH $1 ORDER BY i.id",
        )
        .bind(words)
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

/// Fails with the first differing table row (whole dumps are too long to read in a failure).
pub fn assert_same(left: &Value, right: &Value, what: &str) {
    for (table, rows) in left.as_object().unwrap() {
        let (l, r) = (rows.as_array().unwrap(), right[table].as_array().unwrap());
        for (i, (a, b)) in l.iter().zip(r).enumerate() {
            assert_eq!(a, b, "{what}: table {table}, row {i} differs");
        }
        assert_eq!(l.len(), r.len(), "{what}: table {table} has {} rows vs {}", l.len(), r.len());
    }
}
