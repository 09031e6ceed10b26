//! Comments on PostgreSQL.

use super::plan::CommentsPlan;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn threads(
    tx: &mut Transaction<'static, Postgres>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, thread FROM comments WHERE id = ANY($1)").bind(ids).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().collect())
}

pub async fn write(tx: &mut Transaction<'static, Postgres>, plan: &CommentsPlan) -> Result<(), sqlx::Error> {
    if !plan.inserts.is_empty() {
        let rows = &plan.inserts;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let items: Vec<Uuid> = rows.iter().map(|r| r.item_id).collect();
        let types: Vec<&str> = rows.iter().map(|r| r.type_name.as_str()).collect();
        let parents: Vec<Option<Uuid>> = rows.iter().map(|r| r.parent_id).collect();
        let threads: Vec<&str> = rows.iter().map(|r| r.thread.as_str()).collect();
        let authors: Vec<&str> = rows.iter().map(|r| r.author.as_str()).collect();
        let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
        let removed: Vec<bool> = rows.iter().map(|r| r.removed).collect();
        let created: Vec<DateTime<Utc>> = rows.iter().map(|r| r.created_at).collect();
        let edited: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.edited_at).collect();
        let positions: Vec<i64> = rows.iter().map(|r| r.position).collect();
        sqlx::query(
            "INSERT INTO comments (id, item_id, type, parent_id, thread, author, body, removed, created_at, \
                                   edited_at, position) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], \
                                  $7::text[], $8::bool[], $9::timestamptz[], $10::timestamptz[], $11::int8[]) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(ids)
        .bind(items)
        .bind(types)
        .bind(parents)
        .bind(threads)
        .bind(authors)
        .bind(bodies)
        .bind(removed)
        .bind(created)
        .bind(edited)
        .bind(positions)
        .execute(&mut **tx)
        .await?;
    }
    for (id, update) in &plan.updates {
        if let Some((body, at)) = &update.body {
            sqlx::query("UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1")
                .bind(id)
                .bind(body)
                .bind(at)
                .execute(&mut **tx)
                .await?;
        }
        if update.removed {
            sqlx::query("UPDATE comments SET removed = true WHERE id = $1").bind(id).execute(&mut **tx).await?;
        }
    }
    Ok(())
}
