//! Deleting rows by subject, for [`crate::Projection::forget`]: one statement per table
//! whatever the number of subjects (a list bound as one parameter).

use crate::read_store::ReadTx;
use uuid::Uuid;

/// `DELETE FROM table WHERE column IN ids`. `table` and `column` are the projection's own
/// constants, never input.
pub async fn delete_by_uuid(tx: &mut ReadTx, table: &str, column: &str, ids: &[Uuid]) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let done = match tx {
        ReadTx::Postgres(tx) => sqlx::query(&format!("DELETE FROM {table} WHERE {column} = ANY($1)"))
            .bind(ids)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        ReadTx::Sqlite(tx) => {
            // Uuids are 16-byte blobs on SQLite: the list goes in as JSON text and is unhexed.
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} IN (SELECT unhex(value) FROM json_each($1))"))
                .bind(crate::sqlite_rows::uuid_list(ids.iter().copied()))
                .execute(&mut **tx)
                .await?
                .rows_affected()
        }
    };
    Ok(done)
}

/// `DELETE FROM table WHERE column IN names`.
pub async fn delete_by_text(tx: &mut ReadTx, table: &str, column: &str, names: &[String]) -> Result<u64, sqlx::Error> {
    if names.is_empty() {
        return Ok(0);
    }
    let done = match tx {
        ReadTx::Postgres(tx) => sqlx::query(&format!("DELETE FROM {table} WHERE {column} = ANY($1)"))
            .bind(names)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        ReadTx::Sqlite(tx) => {
            let list = serde_json::to_string(names).unwrap_or_default();
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each($1))"))
                .bind(list)
                .execute(&mut **tx)
                .await?
                .rows_affected()
        }
    };
    Ok(done)
}
