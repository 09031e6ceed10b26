//! Comments on SQLite: lookups and inserts a statement per batch ([`crate::sqlite_rows`]).

use super::plan::CommentsPlan;
use crate::sqlite_rows::{uuid_list, Insert};
use crate::time::micros;
use sqlx::{Sqlite, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

const COMMENTS: Insert<'static> = Insert {
    head: "INSERT INTO comments (id, item_id, type, parent_id, thread, author, body, removed, created_at, edited_at, \
                                 position) ",
    columns: 11,
    tail: " ON CONFLICT (id) DO NOTHING",
};

pub async fn threads(
    tx: &mut Transaction<'static, Sqlite>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, thread FROM comments WHERE id IN (SELECT unhex(value) FROM json_each($1))")
            .bind(uuid_list(ids.iter().copied()))
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().collect())
}

pub async fn write(tx: &mut Transaction<'static, Sqlite>, plan: &CommentsPlan) -> Result<(), sqlx::Error> {
    COMMENTS
        .execute(tx, &plan.inserts, |row, c| {
            row.push_bind(c.id)
                .push_bind(c.item_id)
                .push_bind(c.type_name.as_str())
                .push_bind(c.parent_id)
                .push_bind(c.thread.as_str())
                .push_bind(c.author.as_str())
                .push_bind(c.body.as_str())
                .push_bind(c.removed)
                .push_bind(micros(c.created_at))
                .push_bind(c.edited_at.map(micros))
                .push_bind(c.position);
        })
        .await?;
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
