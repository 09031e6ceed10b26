//! The SQLite side of a rebuild: the next version in a sibling file, copied over the live rows
//! in one transaction (readers keep their snapshot until it commits).

use super::Location;
use crate::read_store::ReadStore;
use crate::RunnerError;
use events::Position;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

pub fn path_of(live: &SqlitePool, projection: &str) -> PathBuf {
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

pub async fn open(
    live: &SqlitePool,
    projection: &str,
    deferred: &[&str],
    restart: bool,
) -> Result<(ReadStore, Location), RunnerError> {
    let path = path_of(live, projection);
    if restart {
        discard(&path);
    }
    let next = ReadStore::open_sqlite_for_rebuild(&path).await?;
    if let ReadStore::Sqlite(pool) = &next {
        if let Err(error) = defer_indexes(pool, deferred).await {
            next.close().await;
            return Err(error.into());
        }
    }
    Ok((next, Location::File(path)))
}

/// The next version's table of indexes dropped until it has caught up, with their definitions.
const DEFERRED: &str = "folio_deferred_indexes";

/// Drops the indexes `names` from the next version's file, keeping their definitions for
/// [`finish`]: SQLite then builds each in one sorted pass instead of row by row (the history
/// index: 20M random inserts at full size). Idempotent: a resumed rebuild finds them dropped and
/// recorded. The table stays in the next file; the switch copies only the projection's tables.
async fn defer_indexes(next: &SqlitePool, names: &[&str]) -> Result<(), sqlx::Error> {
    let mut tx = next.begin().await?;
    sqlx::query(&format!("CREATE TABLE IF NOT EXISTS {DEFERRED} (name TEXT PRIMARY KEY, definition TEXT NOT NULL)"))
        .execute(&mut *tx)
        .await?;
    for name in names {
        let definition: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1 AND sql IS NOT NULL")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(definition) = definition else { continue };
        // OR REPLACE: a migration that re-created the index in a half-built file is recorded anew.
        sqlx::query(&format!("INSERT OR REPLACE INTO {DEFERRED} (name, definition) VALUES ($1, $2)"))
            .bind(name)
            .bind(definition)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// What a caught-up next version needs before it is switched in: the indexes [`defer_indexes`]
/// dropped, each built in its own transaction (a crash in between leaves the rest recorded).
pub async fn finish(next: &SqlitePool) -> Result<(), sqlx::Error> {
    if !crate::sqlite_rows::table_exists(next, DEFERRED).await? {
        return Ok(());
    }
    let deferred: Vec<(String, String)> =
        sqlx::query_as(&format!("SELECT name, definition FROM {DEFERRED} ORDER BY name")).fetch_all(next).await?;
    for (name, definition) in deferred {
        let mut tx = next.begin().await?;
        sqlx::query(&definition).execute(&mut *tx).await?;
        sqlx::query(&format!("DELETE FROM {DEFERRED} WHERE name = $1")).bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A table as a schema holds it: its columns in order, whether it has a rowid, and, for a
/// virtual table, its `CREATE VIRTUAL TABLE` statement.
struct Shape {
    columns: Vec<String>,
    rowid: bool,
    /// Whether the table has an index (its primary key's included): what makes SQLite's
    /// transfer keep a rowid table's rowids (see [`copy_statement`]).
    indexed: bool,
    fts5: Option<String>,
}

/// The tables FTS5 keeps a full-text table in (`<name>_<suffix>`); which exist depends on its
/// options (a contentless table has no `content`).
const FTS5_SHADOWS: [&str; 5] = ["data", "idx", "content", "docsize", "config"];

async fn shape(tx: &mut sqlx::SqliteConnection, schema: &str, table: &str) -> Result<Option<Shape>, sqlx::Error> {
    let sql: Option<String> =
        sqlx::query_scalar(&format!("SELECT sql FROM {schema}.sqlite_master WHERE type = 'table' AND name = $1"))
            .bind(table)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(sql) = sql else { return Ok(None) };
    let columns: Vec<String> =
        sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}', '{schema}')"))
            .fetch_all(&mut *tx)
            .await?;
    let indexed: bool = sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM {schema}.sqlite_master WHERE type = 'index' AND tbl_name = $1)"
    ))
    .bind(table)
    .fetch_one(&mut *tx)
    .await?;
    let upper = sql.to_uppercase();
    let fts5 = (upper.starts_with("CREATE VIRTUAL TABLE") && upper.contains("USING FTS5")).then_some(sql);
    Ok(Some(Shape { columns, rowid: !upper.contains("WITHOUT ROWID"), indexed, fts5 }))
}

/// The statement that copies `table`'s rows from the next version into the emptied live table.
///
/// A table whose columns match the live one's in order is copied with `SELECT *` and no column
/// list: SQLite's transfer optimisation then copies the stored records and index entries as
/// they are, in order, instead of inserting row by row and updating every index at random
/// places (quick data: `content_refs` 4.7 s -> 0.7 s, `user_items` 2.9 s -> 1.6 s,
/// `content_items` 1.8-2.3 s -> 1.4-1.7 s). A rowid table is transferred so only if it has an
/// index: the transfer then keeps each row's rowid, which FTS rows are keyed by, where for a
/// table without one it numbers them anew (SQLite's `xferOptimization`). It runs only into an
/// empty table, and otherwise SQLite falls back to inserting row by row with new rowids, so
/// [`rowids_kept`] checks every such copy. Other tables name their columns, and `rowid` if
/// they have one.
///
/// `OR FAIL`: a statement that may abort halfway keeps a statement journal, the original of
/// every page it changes, so that it can undo itself; the pages the emptied table freed are
/// reused by the copy, so that journal was a second copy of the table, written to a temp file.
/// `FAIL` stops without undoing, which is all the same here: an error rolls the whole switch
/// back. (`content_items` of the quick data in the `sqlite3` shell: 2.4-2.7 s -> 1.4-1.5 s.)
fn copy_statement(table: &str, live: Option<&Shape>, next: &Shape) -> String {
    if transferred_whole(live, next) {
        return format!("INSERT OR FAIL INTO main.{table} SELECT * FROM next.{table}");
    }
    named_copy_statement(table, next)
}

/// The copy that names every column, and `rowid` if the table has one.
fn named_copy_statement(table: &str, next: &Shape) -> String {
    let mut list = if next.rowid { vec!["rowid".to_owned()] } else { Vec::new() };
    list.extend(next.columns.iter().cloned());
    let list = list.join(", ");
    format!("INSERT OR FAIL INTO main.{table} ({list}) SELECT {list} FROM next.{table}")
}

fn transferred_whole(live: Option<&Shape>, next: &Shape) -> bool {
    live.is_some_and(|live| {
        live.rowid == next.rowid && live.columns == next.columns && (!next.rowid || (live.indexed && next.indexed))
    })
}

/// Whether a rowid table copied by transfer kept its rows' rowids. Had SQLite inserted row by
/// row instead (into the emptied table; the read models use no AUTOINCREMENT), the rows would
/// be numbered 1, 2, ... in rowid order: the same rowids when the next version's have no gap,
/// and otherwise a highest rowid lower than the next version's. So equal highest rowids prove
/// the rowids equal, at the cost of two seeks to the end of each table's b-tree.
async fn rowids_kept(conn: &mut sqlx::SqliteConnection, table: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT (SELECT max(rowid) FROM main.{table}) IS (SELECT max(rowid) FROM next.{table})"
    ))
    .fetch_one(conn)
    .await
}

pub async fn switch(
    live: &SqlitePool,
    path: &Path,
    projection: &str,
    tables: &[&str],
    position: Position,
) -> Result<(), RunnerError> {
    // Detached from the pool: closed on every path, a cancelled switch included (see
    // `copy_fts5_index`).
    let mut conn = live.acquire().await?.detach();
    let file = path.display().to_string();
    sqlx::query("ATTACH DATABASE $1 AS next").bind(&file).execute(&mut conn).await?;
    let result = copy(&mut conn, projection, tables, position).await;
    // Closing ends the attachment too.
    let _ = sqlx::Connection::close(conn).await;
    result
}

/// Copies a full-text table's index as FTS5 stores it (its shadow tables, row for row) instead
/// of inserting its rows again, which would tokenize every document anew and, for a
/// contentless table, could not read the text back at all. Both files were migrated by this
/// binary, so the two tables are declared alike; anything else is refused. The copy writes
/// FTS5's tables behind the module's back, which other connections notice (their cached index
/// structure is checked against the file's change counter), but the connection that copies
/// does not: [`switch`] closes it afterwards.
async fn copy_fts5_index(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    definition: &str,
    live: Option<&Shape>,
) -> Result<(), sqlx::Error> {
    if live.and_then(|live| live.fts5.as_deref()) != Some(definition) {
        return Err(sqlx::Error::Protocol(format!(
            "the next version's full-text table {table} is not declared as the live one is"
        )));
    }
    // Each shadow table is either without rowid or keyed by an INTEGER PRIMARY KEY, so `*`
    // carries every row's key.
    for suffix in FTS5_SHADOWS {
        let shadow = format!("{table}_{suffix}");
        if shape(conn, "next", &shadow).await?.is_none() {
            continue;
        }
        sqlx::query(&format!("DELETE FROM main.{shadow}")).execute(&mut *conn).await?;
        sqlx::query(&format!("INSERT OR FAIL INTO main.{shadow} SELECT * FROM next.{shadow}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Empties the live `table` and copies the next version's rows into it (see
/// [`copy_statement`]). Should SQLite not transfer an indexed rowid table after all (a trigger
/// or anything else that rules its transfer out), it inserts row by row with new rowids;
/// [`rowids_kept`] sees it, and the table is emptied and copied again naming `rowid`.
async fn copy_table(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    live: Option<&Shape>,
    next: &Shape,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DELETE FROM main.{table}")).execute(&mut *conn).await?;
    sqlx::query(&copy_statement(table, live, next)).execute(&mut *conn).await?;
    if next.rowid && transferred_whole(live, next) && !rowids_kept(conn, table).await? {
        tracing::warn!(table, "SQLite did not transfer the table whole; copying it again row by row");
        sqlx::query(&format!("DELETE FROM main.{table}")).execute(&mut *conn).await?;
        sqlx::query(&named_copy_statement(table, next)).execute(&mut *conn).await?;
    }
    Ok(())
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
            let Some(next) = shape(conn, "next", table).await? else { continue };
            let live = shape(conn, "main", table).await?;
            let started = std::time::Instant::now();
            if let Some(definition) = &next.fts5 {
                copy_fts5_index(conn, table, definition, live.as_ref()).await?;
            } else {
                copy_table(conn, table, live.as_ref(), &next).await?;
            }
            tracing::debug!(projection, table, elapsed = ?started.elapsed(), "the switch copied a table");
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
            let started = std::time::Instant::now();
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            tracing::debug!(projection, elapsed = ?started.elapsed(), "the switch committed");
            Ok(())
        }
        Err(error) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(error.into())
        }
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
