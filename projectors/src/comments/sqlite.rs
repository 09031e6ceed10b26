//! Comments on SQLite.

use super::plan::CommentsPlan;
use crate::time::micros;
use sqlx::{Sqlite, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn threads(
    tx: &mut Transaction<'static, Sqlite>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let mut threads = HashMap::with_capacity(ids.len());
    for id in ids {
        let thread: Option<String> =
            sqlx::query_scalar("SELECT thread FROM comments WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
        if let Some(thread) = thread {
            threads.insert(*id, thread);
        }
    }
    Ok(threads)
}

pub async fn write(tx: &mut Transaction<'static, Sqlite>, plan: &CommentsPlan) -> Result<(), sqlx::Error> {
    for row in &plan.inserts {
        sqlx::query(
            "INSERT INTO comments (id, item_id, type, parent_id, thread, author, body, removed, created_at, \
                                   edited_at, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
        )
        .bind(row.id)
        .bind(row.item_id)
        .bind(&row.type_name)
        .bind(row.parent_id)
        .bind(&row.thread)
        .bind(&row.author)
        .bind(&row.body)
        .bind(row.removed)
        .bind(micros(row.created_at))
        .bind(row.edited_at.map(micros))
        .bind(row.position)
        .execute(&mut **tx)
        .await?;
    }
    for (id, update) in &plan.updates {
        if let Some((body, at)) = &update.body {
            sqlx::query("UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1")
                .bind(id)
                .bind(body)
                .bind(micros(*at))
                .execute(&mut **tx)
                .await?;
        }
        if update.removed {
            sqlx::query("UPDATE comments SET removed = 1 WHERE id = $1").bind(id).execute(&mut **tx).await?;
        }
    }
    Ok(())
}
