//! Bulk import into PostgreSQL (rules: [`super::import`]).
//!
//! One transaction per batch:
//! 1. `COPY` the batch (text format) into a temporary staging table that is dropped at commit;
//!    nothing is locked yet, so appends go on meanwhile.
//! 2. Take `folio_log_head`'s row lock (`SELECT ... FOR UPDATE`), exactly the lock every append
//!    commits under, so commit order stays position order.
//! 3. Optimistic path, for a batch of new events whose streams go up by one in batch order (a
//!    first seed): check that each stream's first event in the batch follows a stored event
//!    (one index lookup per stream), then, under a savepoint, ONE `INSERT ... SELECT` assigns
//!    positions `head + row_number()` in batch order, moves the head and queues the same NOTIFY
//!    as appends. A stored id or a taken version fails that insert on its unique constraint.
//! 4. Otherwise (or after such a failure, rolled back to the savepoint): read the stored events
//!    with the batch's ids and the versions of its streams, plan in Rust (which names the
//!    refusal precisely), drop already-stored rows from staging, and insert the rest the same way.
//!
//! An optimistic append racing with an import finds the head moved and retries under the lock.

use super::error::StoreError;
use super::import::{first_of_streams, fresh_streams, plan_import, ImportError, ImportResult, ImportedEvent};
use super::postgres::{COMMIT_CHANNEL, SELECT_EVENTS};
use super::row::{to_i64, truncate_to_micros, EventRow};
use events::{EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::fmt::Write as _;

/// COPY data is sent in pieces of about this many bytes.
const COPY_CHUNK_BYTES: usize = 1 << 20;

const CREATE_STAGING: &str = "CREATE TEMPORARY TABLE folio_import_staging ( \
     ord int8 NOT NULL, first bool NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL, stream_version int8 NOT NULL, \
     event_type text NOT NULL, schema_version int2 NOT NULL, data text NOT NULL, metadata text NOT NULL, \
     recorded_at timestamptz NOT NULL) ON COMMIT DROP";

const COPY_STAGING: &str = "COPY folio_import_staging (ord, first, event_id, stream_id, stream_version, event_type, \
     schema_version, data, metadata, recorded_at) FROM STDIN";

/// Imports `batch` in one transaction on a connection of `pool`.
pub(crate) async fn import(pool: &PgPool, batch: Vec<ImportedEvent>) -> Result<ImportResult, ImportError> {
    super::import::batch_ids(&batch)?;
    let firsts = first_of_streams(&batch);
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    sqlx::query(CREATE_STAGING).execute(&mut *tx).await?;
    copy_into_staging(&mut tx, &batch, firsts.as_deref()).await?;

    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head FOR UPDATE").fetch_one(&mut *tx).await?;
    let head = u64::try_from(head).unwrap_or(0);
    let imported = batch.len() as u64;
    if firsts.is_some() && optimistic_insert(&mut tx, head, imported).await? {
        tx.commit().await?;
        return Ok(ImportResult { imported, skipped: 0, head: head + imported });
    }

    let known = stored_events(&mut tx).await?;
    let versions = stored_versions(&mut tx, fresh_streams(&batch, &known)).await?;
    let plan = plan_import(&batch, &known, &versions)?;
    let (imported, skipped) = (plan.imported(), plan.skipped);
    if imported == 0 {
        tx.rollback().await?;
        return Ok(ImportResult { imported, skipped, head });
    }
    if skipped > 0 {
        sqlx::query("DELETE FROM folio_import_staging s USING folio_events e WHERE e.event_id = s.event_id")
            .execute(&mut *tx)
            .await?;
    }
    insert_staged(&mut tx, head, imported).await?;
    tx.commit().await?;
    Ok(ImportResult { imported, skipped, head: head + imported })
}

/// Inserts every staged row if the batch is all new and continues its streams; false (having
/// written nothing) when it may not be, for the planned path to decide.
async fn optimistic_insert(conn: &mut PgConnection, head: Position, count: u64) -> Result<bool, ImportError> {
    let gap: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM folio_import_staging s WHERE s.first AND s.stream_version > 1 \
         AND NOT EXISTS (SELECT 1 FROM folio_events e \
                         WHERE e.stream_id = s.stream_id AND e.stream_version = s.stream_version - 1))",
    )
    .fetch_one(&mut *conn)
    .await?;
    if gap {
        return Ok(false);
    }
    sqlx::query("SAVEPOINT folio_import").execute(&mut *conn).await?;
    match insert_staged(conn, head, count).await {
        Ok(()) => Ok(true),
        Err(ImportError::Store(StoreError::Database(error)))
            if error.as_database_error().is_some_and(|e| e.is_unique_violation()) =>
        {
            sqlx::query("ROLLBACK TO SAVEPOINT folio_import").execute(&mut *conn).await?;
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// Inserts the staged rows at `head + 1, ...` in batch order, moves the head and queues NOTIFY.
async fn insert_staged(conn: &mut PgConnection, head: Position, count: u64) -> Result<(), ImportError> {
    let new_head = head + count;
    let inserted: i64 = sqlx::query_scalar(
        "WITH inserted AS ( \
             INSERT INTO folio_events (position, event_id, stream_id, stream_version, event_type, \
                                       schema_version, data, metadata, recorded_at) \
             SELECT $1 + row_number() OVER (ORDER BY ord), event_id, stream_id, stream_version, event_type, \
                    schema_version, data::json, metadata::json, recorded_at \
             FROM folio_import_staging ORDER BY ord \
             RETURNING 1 \
         ), moved AS ( \
             UPDATE folio_log_head SET position = $2 RETURNING position \
         ) \
         SELECT (SELECT count(*) FROM inserted) FROM moved, LATERAL (SELECT pg_notify($3, position::text)) AS n",
    )
    .bind(to_i64(head))
    .bind(to_i64(new_head))
    .bind(COMMIT_CHANNEL)
    .fetch_one(&mut *conn)
    .await?;
    if u64::try_from(inserted).ok() != Some(count) {
        // The caller's transaction is dropped without commit: nothing of the batch is written.
        return Err(StoreError::Corrupt {
            position: to_i64(head),
            reason: format!("import planned {count} events but inserted {inserted}"),
        }
        .into());
    }
    Ok(())
}

async fn copy_into_staging(
    conn: &mut PgConnection,
    batch: &[ImportedEvent],
    firsts: Option<&[bool]>,
) -> Result<(), ImportError> {
    let mut copy = conn.copy_in_raw(COPY_STAGING).await?;
    let mut buffer = String::with_capacity(COPY_CHUNK_BYTES + 4096);
    for (ord, event) in batch.iter().enumerate() {
        let first = firsts.and_then(|f| f.get(ord)).copied().unwrap_or(false);
        write_row(&mut buffer, ord, first, event);
        if buffer.len() >= COPY_CHUNK_BYTES {
            copy.send(buffer.as_bytes()).await?;
            buffer.clear();
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.as_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One line of COPY's text format: tab-separated columns, special characters escaped.
fn write_row(out: &mut String, ord: usize, first: bool, event: &ImportedEvent) {
    let at = truncate_to_micros(event.recorded_at).format("%Y-%m-%d %H:%M:%S%.6f+00");
    let _ = writeln!(
        out,
        "{ord}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{at}",
        if first { 't' } else { 'f' },
        event.event_id,
        escaped(event.stream_id.as_str()),
        event.stream_version,
        escaped(&event.event_type),
        event.schema_version,
        escaped(&event.data.to_string()),
        escaped(&serde_json::to_string(&event.metadata).unwrap_or_else(|_| "{}".into())),
    );
}

/// Escapes COPY text format's special characters (backslash, tab, newline, carriage return).
fn escaped(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        return value.into();
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out.into()
}

/// The stored events whose ids are in staging.
async fn stored_events(conn: &mut PgConnection) -> Result<HashMap<EventId, RecordedEvent>, ImportError> {
    let sql = format!("{SELECT_EVENTS} WHERE event_id IN (SELECT event_id FROM folio_import_staging)");
    let rows: Vec<EventRow> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
    let mut known = HashMap::with_capacity(rows.len());
    for row in rows {
        let event = row.into_recorded()?;
        known.insert(event.event_id, event);
    }
    Ok(known)
}

/// The stored versions of `streams` (streams without events are left out).
async fn stored_versions(
    conn: &mut PgConnection,
    streams: Vec<&StreamId>,
) -> Result<HashMap<StreamId, StreamVersion>, ImportError> {
    let names: Vec<&str> = streams.iter().map(|s| s.as_str()).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.id, v.version FROM unnest($1::text[]) AS s(id), \
         LATERAL (SELECT max(e.stream_version) AS version FROM folio_events e WHERE e.stream_id = s.id) AS v \
         WHERE v.version IS NOT NULL",
    )
    .bind(&names)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(stream, version)| Some((StreamId::parse(stream).ok()?, u64::try_from(version).ok()?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn copy_text_escapes_only_its_special_characters() {
        assert_eq!(escaped(r#"{"a":"x\"y"}"#), r#"{"a":"x\\"y"}"#);
        assert_eq!(escaped("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(escaped("plain ü"), "plain ü");
    }
}
