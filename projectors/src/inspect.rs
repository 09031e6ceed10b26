//! Every read-model row in a backend-neutral JSON form (times as RFC 3339, rows in key order):
//! what snapshots record and what "a rebuild equals the live projection" compares, on either
//! backend. Not for serving: it reads whole tables.

use crate::read_store::ReadStore;
use chrono::DateTime;
use serde_json::{json, Value};
use uuid::Uuid;

/// The time column `c` as microseconds since the epoch on either backend.
fn t(read: &ReadStore, c: &str) -> String {
    match read {
        ReadStore::Postgres(_) => format!("(extract(epoch FROM {c}) * 1000000)::int8"),
        ReadStore::Sqlite(_) => c.to_owned(),
    }
}

fn parse(text: &str) -> Result<Value, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn time(micros: Option<i64>) -> Value {
    micros.and_then(DateTime::from_timestamp_micros).map_or(Value::Null, |t| json!(crate::time::render(t)))
}

macro_rules! fetch {
    ($read:expr, $sql:expr, $row:ty) => {
        match $read {
            ReadStore::Postgres(pool) => sqlx::query_as::<_, $row>(&$sql).fetch_all(pool).await?,
            ReadStore::Sqlite(pool) => sqlx::query_as::<_, $row>(&$sql).fetch_all(pool).await?,
        }
    };
}

/// Only the read models (not checkpoints): what a rebuild must reproduce.
pub async fn dump(read: &ReadStore) -> Result<Value, sqlx::Error> {
    Ok(json!({
        "types": types(read).await?,
        "items": items(read).await?,
        "embeds": embeds(read).await?,
        "refs": refs(read).await?,
        "values": values(read).await?,
        "comments": comments(read).await?,
        "counters": counters(read).await?,
        "user_items": user_items(read).await?,
        "api_keys": api_keys(read).await?,
    }))
}

pub async fn types(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let rows = fetch!(read, "SELECT name, definition, version FROM content_types ORDER BY name", (String, String, i64));
    rows.into_iter()
        .map(|(name, definition, version)| {
            Ok(json!({"name": name, "definition": parse(&definition)?, "version": version}))
        })
        .collect()
}

pub async fn items(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = format!(
        "SELECT id, type, slug, status, version, {}, {}, {}, embed, document, card FROM content_items ORDER BY id",
        t(read, "published_at"),
        t(read, "publish_at"),
        t(read, "archived_at")
    );
    type Row =
        (Uuid, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>, String, String, Option<String>);
    let rows = fetch!(read, sql, Row);
    rows.into_iter()
        .map(|(id, type_name, slug, status, version, published, publish, archived, embed, document, card)| {
            let mut item = json!({
                "id": id, "type": type_name, "slug": slug, "status": status, "version": version,
                "published_at": time(published), "publish_at": time(publish), "archived_at": time(archived),
                "embed": parse(&embed)?,
                "document": parse(&document)?,
            });
            // Only items with an unlisted field have a card; the others' rows read as before.
            if let Some(card) = card {
                item["card"] = parse(&card)?;
            }
            Ok(item)
        })
        .collect()
}

/// `content_embeds`: what history shows of each item.
pub async fn embeds(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let rows = fetch!(read, "SELECT id, status, embed FROM content_embeds ORDER BY id", (Uuid, String, String));
    rows.into_iter().map(|(id, status, embed)| Ok(json!([id, status, parse(&embed)?]))).collect()
}

pub async fn refs(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = format!(
        "SELECT item_id, field, target, depth, ord, type, status, {} FROM content_refs ORDER BY item_id, field, target",
        t(read, "published_at")
    );
    let rows = fetch!(read, sql, (Uuid, String, Uuid, i32, i32, String, String, Option<i64>));
    Ok(rows
        .into_iter()
        .map(|(item, field, target, depth, ord, type_name, status, published)| {
            json!([item, field, target, depth, ord, type_name, status, time(published)])
        })
        .collect())
}

/// How many `content_refs` rows carry a list card other than their item's (its card, or its
/// document when it has none): 0 whenever the projection is right. Only PostgreSQL's rows carry
/// one (projection migration 0011); SQLite's lists join the item, so there is no copy to lag.
pub async fn stale_ref_cards(read: &ReadStore) -> Result<i64, sqlx::Error> {
    match read {
        ReadStore::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT count(*) FROM content_refs d JOIN content_items ci ON ci.id = d.item_id \
                 WHERE d.card IS DISTINCT FROM COALESCE(ci.card, ci.document)",
            )
            .fetch_one(pool)
            .await
        }
        ReadStore::Sqlite(_) => Ok(0),
    }
}

pub async fn values(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = "SELECT item_id, field, type, status, num, txt FROM content_values ORDER BY item_id, field";
    let rows = fetch!(read, sql, (Uuid, String, String, String, Option<f64>, Option<String>));
    Ok(rows.into_iter().map(|(item, field, t, status, num, txt)| json!([item, field, t, status, num, txt])).collect())
}

pub async fn comments(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = format!(
        "SELECT id, item_id, parent_id, thread, author, body, removed, {} FROM comments ORDER BY item_id, thread",
        t(read, "edited_at")
    );
    let rows = fetch!(read, sql, (Uuid, Uuid, Option<Uuid>, String, String, String, bool, Option<i64>));
    Ok(rows
        .into_iter()
        .map(|(id, item, parent, thread, author, body, removed, edited)| {
            json!({"id": id, "item": item, "parent": parent, "thread": thread, "author": author, "body": body,
                   "removed": removed, "edited": edited.is_some()})
        })
        .collect())
}

pub async fn counters(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = "SELECT item_id, views, likes, shares, bookmarks, comments FROM item_counters ORDER BY item_id";
    let rows = fetch!(read, sql, (Uuid, i64, i64, i64, i64, i64));
    Ok(rows
        .into_iter()
        .map(|(item, views, likes, shares, bookmarks, comments)| {
            json!({"item": item, "views": views, "likes": likes, "shares": shares, "bookmarks": bookmarks,
                   "comments": comments})
        })
        .collect())
}

pub async fn user_items(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = format!(
        "SELECT user_id, item_id, {}, {}, views, liked, bookmarked FROM user_items ORDER BY user_id, item_id",
        t(read, "first_viewed_at"),
        t(read, "last_viewed_at")
    );
    let rows = fetch!(read, sql, (String, Uuid, Option<i64>, Option<i64>, i32, Option<bool>, Option<bool>));
    Ok(rows
        .into_iter()
        .map(|(user, item, first, last, views, liked, bookmarked)| {
            json!({"user": user, "item": item, "first_viewed_at": time(first), "last_viewed_at": time(last),
                   "views": views, "liked": liked.unwrap_or(false), "bookmarked": bookmarked.unwrap_or(false)})
        })
        .collect())
}

/// Issued and revoked times are the store's clock: snapshots redact them.
pub async fn api_keys(read: &ReadStore) -> Result<Value, sqlx::Error> {
    let sql = format!(
        "SELECT key_id, role, secret_sha256, label, revoked, {}, {} FROM api_keys ORDER BY key_id",
        t(read, "issued_at"),
        t(read, "revoked_at")
    );
    let rows = fetch!(read, sql, (Uuid, String, String, Option<String>, bool, Option<i64>, Option<i64>));
    Ok(rows
        .into_iter()
        .map(|(key, role, secret_sha256, label, revoked, issued, revoked_at)| {
            json!({"key": key, "role": role, "secret_sha256": secret_sha256, "label": label, "revoked": revoked,
                   "issued_at": time(issued), "revoked_at": time(revoked_at)})
        })
        .collect())
}

/// A user's history as the query API will read it: newest first.
pub async fn history(read: &ReadStore, user: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "SELECT item_id FROM user_items WHERE user_id = $1 AND last_viewed_at IS NOT NULL \
               ORDER BY last_viewed_at DESC, item_id";
    match read {
        ReadStore::Postgres(pool) => sqlx::query_scalar(sql).bind(user).fetch_all(pool).await,
        ReadStore::Sqlite(pool) => sqlx::query_scalar(sql).bind(user).fetch_all(pool).await,
    }
}

/// Items whose `field` points at `target` directly or through the tree (depth > 0).
pub async fn referencing(read: &ReadStore, field: &str, target: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "SELECT item_id FROM content_refs WHERE target = $1 AND field = $2 ORDER BY item_id";
    match read {
        ReadStore::Postgres(pool) => sqlx::query_scalar(sql).bind(target).bind(field).fetch_all(pool).await,
        ReadStore::Sqlite(pool) => sqlx::query_scalar(sql).bind(target).bind(field).fetch_all(pool).await,
    }
}

/// Full-text matches, by id.
pub async fn search(read: &ReadStore, words: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    match read {
        ReadStore::Postgres(pool) => {
            sqlx::query_scalar("SELECT id FROM content_items WHERE search @@ plainto_tsquery('simple', $1) ORDER BY id")
                .bind(words)
                .fetch_all(pool)
                .await
        }
        ReadStore::Sqlite(pool) => {
            sqlx::query_scalar(
                "SELECT i.id FROM content_search s JOIN content_items i ON i.rowid = s.rowid \
             WHERE content_search MATCH $1 ORDER BY i.id",
            )
            .bind(words)
            .fetch_all(pool)
            .await
        }
    }
}
