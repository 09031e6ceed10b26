//! The SQLite side of a rebuild: the next version in a sibling file, copied over the live rows
//! in one transaction (readers keep their snapshot until it commits).

use super::Location;
use crate::read_store::ReadStore;
use crate::RunnerError;
use events::Position;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

fn path_of(live: &SqlitePool, projection: &str) -> PathBuf {
    let file = live.connect_options().get_filename().to_path_buf();
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".rebuild-{projection}"));
    file.with_file_name(name)
}

pub fn discard(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

pub async fn open(live: &SqlitePool, projection: &str, restart: bool) -> Result<(ReadStore, Location), RunnerError> {
    let path = path_of(live, projection);
    if restart {
        discard(&path);
    }
    let next = ReadStore::open_sqlite(&path).await?;
    Ok((next, Location::File(path)))
}

/// `rowid, c1, c2, ...` of a table in the attached database (rowid unless WITHOUT ROWID).
async fn columns(tx: &mut sqlx::SqliteConnection, table: &str) -> Result<Option<String>, sqlx::Error> {
    let sql: Option<String> = sqlx::query_scalar("SELECT sql FROM next.sqlite_master WHERE name = $1")
        .bind(table)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(sql) = sql else { return Ok(None) };
    let names: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}', 'next')"))
        .fetch_all(&mut *tx)
        .await?;
    let mut list = if sql.to_uppercase().contains("WITHOUT ROWID") { Vec::new() } else { vec!["rowid".to_owned()] };
    list.extend(names);
    Ok(Some(list.join(", ")))
}

pub async fn switch(
    live: &SqlitePool,
    path: &Path,
    projection: &str,
    tables: &[&str],
    position: Position,
) -> Result<(), RunnerError> {
    let mut conn = live.acquire().await?;
    let file = path.display().to_string();
    sqlx::query("ATTACH DATABASE $1 AS next").bind(&file).execute(&mut *conn).await?;
    let result = copy(&mut conn, projection, tables, position).await;
    // Detach even after a failure: the connection goes back to the pool.
    let _ = sqlx::query("DETACH DATABASE next").execute(&mut *conn).await;
    result
}

async fn copy(
    conn: &mut sqlx::SqliteConnection,
    projection: &str,
    tables: &[&str],
    position: Position,
) -> Result<(), RunnerError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let outcome = async {
        for table in tables {
            let Some(columns) = columns(conn, table).await? else { continue };
            sqlx::query(&format!("DELETE FROM main.{table}")).execute(&mut *conn).await?;
            sqlx::query(&format!("INSERT INTO main.{table} ({columns}) SELECT {columns} FROM next.{table}"))
                .execute(&mut *conn)
                .await?;
        }
        let last_event_at: Option<i64> =
            sqlx::query_scalar("SELECT last_event_at FROM next.projection_checkpoints WHERE projection = $1")
                .bind(projection)
                .fetch_optional(&mut *conn)
                .await?
                .flatten();
        sqlx::query(
            "INSERT INTO main.projection_checkpoints (projection, position, state, last_event_at, updated_at) \
             VALUES ($1, $2, 'running', $3, $4) ON CONFLICT (projection) DO UPDATE \
             SET position = excluded.position, state = 'running', last_event_at = excluded.last_event_at, \
             updated_at = excluded.updated_at",
        )
        .bind(projection)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(last_event_at)
        .bind(chrono::Utc::now().timestamp_micros())
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM main.projection_parked WHERE projection = $1")
            .bind(projection)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO main.projection_parked SELECT * FROM next.projection_parked WHERE projection = $1")
            .bind(projection)
            .execute(&mut *conn)
            .await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    match outcome {
        Ok(()) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(())
        }
        Err(error) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(error.into())
        }
    }
}
