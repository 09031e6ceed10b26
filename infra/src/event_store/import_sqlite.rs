//! Bulk import into SQLite (rules: [`super::import`]).
//!
//! One `BEGIN IMMEDIATE` transaction on a connection of its own: it excludes the store's writer
//! (and other processes) exactly as an append batch does, so positions `max(position) + 1, ...`
//! are gap-free and commit in order. Inside it: read the stored events with the batch's ids and
//! the versions of its streams, plan, and insert the fresh events with multi-row INSERTs. After
//! the commit the store's in-process commit signal wakes subscribers.

use super::import::{fresh_streams, plan_import, ImportError, ImportResult, ImportedEvent};
use super::row::EventRow;
use super::sqlite::{insert, COLUMNS, ROWS_PER_INSERT};
use events::{EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, QueryBuilder, Sqlite};
use std::collections::HashMap;
use tokio::sync::watch;

/// Imports `batch` in one transaction on a new connection, then signals `head`.
pub(crate) async fn import(
    options: &SqliteConnectOptions,
    head_signal: &watch::Sender<Position>,
    batch: Vec<ImportedEvent>,
) -> Result<ImportResult, ImportError> {
    super::import::batch_ids(&batch)?;
    let mut conn = SqliteConnection::connect_with(options).await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
    let outcome = write(&mut conn, batch).await;
    let committed = match outcome {
        Ok(result) if result.imported > 0 => sqlx::query("COMMIT").execute(&mut conn).await.map(|_| result),
        Ok(result) => sqlx::query("ROLLBACK").execute(&mut conn).await.map(|_| result),
        Err(error) => {
            if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut conn).await {
                tracing::warn!(error = %rollback, "rollback after a refused import failed");
            }
            return Err(error);
        }
    };
    let result = committed?;
    if result.imported > 0 {
        head_signal.send_modify(|head| *head = (*head).max(result.head));
    }
    conn.close().await?;
    Ok(result)
}

async fn write(conn: &mut SqliteConnection, batch: Vec<ImportedEvent>) -> Result<ImportResult, ImportError> {
    let head: i64 =
        sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events").fetch_one(&mut *conn).await?;
    let head = u64::try_from(head).unwrap_or(0);
    let known = stored_events(conn, &batch).await?;
    let versions = stored_versions(conn, fresh_streams(&batch, &known)).await?;
    let plan = plan_import(&batch, &known, &versions)?;
    let (imported, skipped) = (plan.imported(), plan.skipped);
    let rows = plan.into_rows(batch, head);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        insert(conn, chunk).await?;
    }
    Ok(ImportResult { imported, skipped, head: head + imported })
}

async fn stored_events(
    conn: &mut SqliteConnection,
    batch: &[ImportedEvent],
) -> Result<HashMap<EventId, RecordedEvent>, ImportError> {
    let mut known = HashMap::new();
    for chunk in batch.chunks(ROWS_PER_INSERT) {
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM folio_events WHERE event_id IN ("));
        let mut list = query.separated(", ");
        for event in chunk {
            list.push_bind(event.event_id.0);
        }
        query.push(")");
        let rows: Vec<EventRow> = query.build_query_as().fetch_all(&mut *conn).await?;
        for row in rows {
            let event = row.into_recorded()?;
            known.insert(event.event_id, event);
        }
    }
    Ok(known)
}

async fn stored_versions(
    conn: &mut SqliteConnection,
    streams: Vec<&StreamId>,
) -> Result<HashMap<StreamId, StreamVersion>, ImportError> {
    let mut versions = HashMap::new();
    for chunk in streams.chunks(ROWS_PER_INSERT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT stream_id, max(stream_version) FROM folio_events WHERE stream_id IN (");
        let mut list = query.separated(", ");
        for stream in chunk {
            list.push_bind(stream.as_str());
        }
        query.push(") GROUP BY stream_id");
        let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&mut *conn).await?;
        for (stream, version) in rows {
            if let (Ok(stream), Ok(version)) = (StreamId::parse(stream), u64::try_from(version)) {
                versions.insert(stream, version);
            }
        }
    }
    Ok(versions)
}
