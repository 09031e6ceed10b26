//! Bulk import into PostgreSQL (rules: [`super::import`]).
//!
//! The direct path, for a batch of new events that continue their streams in batch order (a
//! seed, or an export imported into an empty or older store): one transaction that takes
//! `folio_log_head`'s row lock (exactly the lock every append commits under, so commit order stays
//! position order), checks in one statement that each stream's first event in the batch follows
//! a stored event, then `COPY`s the batch straight into `folio_events` at `head + 1, ...`, moves
//! the head and queues the same NOTIFY as appends. A stored id or a taken version fails the COPY
//! on its unique constraint; the transaction is rolled back and the batch goes the planned way.
//! Appends wait for the head while a chunk is written (a fraction of a second per 50,000 events).
//!
//! The planned path, one transaction per batch:
//! 1. `COPY` the batch (binary format, [`super::copy_binary`]) into a temporary staging table that is dropped at commit;
//!    nothing is locked yet, so appends go on meanwhile.
//! 2. Take `folio_log_head`'s row lock (`SELECT ... FOR UPDATE`), exactly the lock every append
//!    commits under, so commit order stays position order.
//! 3. Read the stored events with the batch's ids and the versions of its streams, plan in Rust
//!    (which names a refusal precisely), drop already-stored rows from staging, and insert the
//!    rest with ONE `INSERT ... SELECT` that assigns positions `head + row_number()` in batch
//!    order, moves the head and queues the same NOTIFY as appends.
//!
//! An optimistic append racing with an import finds the head moved and retries under the lock.

use super::copy_binary::BinaryCopy;
use super::error::StoreError;
use super::import::{first_of_streams, fresh_streams, plan_import, ImportError, ImportResult, ImportedEvent};
use super::postgres::{COMMIT_CHANNEL, SELECT_EVENTS};
use super::row::{to_i64, EventRow};
use events::{EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;

const CREATE_STAGING: &str = "CREATE TEMPORARY TABLE folio_import_staging ( \
     ord int8 NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL, stream_version int8 NOT NULL, \
     event_type text NOT NULL, schema_version int2 NOT NULL, data text NOT NULL, metadata text NOT NULL, \
     recorded_at timestamptz NOT NULL) ON COMMIT DROP";

/// Imports `batch` in one transaction on a connection of `pool`.
pub(crate) async fn import(pool: &PgPool, batch: Vec<ImportedEvent>) -> Result<ImportResult, ImportError> {
    super::import::batch_ids(&batch)?;
    let firsts = first_of_streams(&batch);
    let mut conn = pool.acquire().await?;
    if let Some(firsts) = &firsts {
        if let Some(result) = direct(&mut conn, &batch, firsts).await? {
            return Ok(result);
        }
    }
    let mut tx = conn.begin().await?;
    sqlx::query(CREATE_STAGING).execute(&mut *tx).await?;
    copy_into_staging(&mut tx, &batch).await?;

    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head FOR UPDATE").fetch_one(&mut *tx).await?;
    let head = u64::try_from(head).unwrap_or(0);

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

/// The direct path (module docs): `Some` when the whole batch was written, `None` (having
/// written nothing) when it may hold stored events or not continue its streams.
async fn direct(
    conn: &mut PgConnection,
    batch: &[ImportedEvent],
    firsts: &[bool],
) -> Result<Option<ImportResult>, ImportError> {
    let mut tx = conn.begin().await?;
    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head FOR UPDATE").fetch_one(&mut *tx).await?;
    let head = u64::try_from(head).unwrap_or(0);
    let (streams, previous): (Vec<&str>, Vec<i64>) = batch
        .iter()
        .zip(firsts)
        .filter(|(event, first)| **first && event.stream_version > 1)
        .map(|(event, _)| (event.stream_id.as_str(), to_i64(event.stream_version - 1)))
        .unzip();
    let gaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest($1::text[], $2::int8[]) AS s(id, v) \
         WHERE NOT EXISTS (SELECT 1 FROM folio_events e WHERE e.stream_id = s.id AND e.stream_version = s.v)",
    )
    .bind(&streams)
    .bind(&previous)
    .fetch_one(&mut *tx)
    .await?;
    if gaps > 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    let copied = async {
        let mut copy = BinaryCopy::start(&mut tx, "folio_events", "position", false).await?;
        for (event, position) in batch.iter().zip(head + 1..) {
            copy.push(position, event).await?;
        }
        copy.finish().await
    };
    match copied.await {
        Ok(_) => {}
        Err(ImportError::Store(StoreError::Database(error)))
            if error.as_database_error().is_some_and(|e| e.is_unique_violation()) =>
        {
            tx.rollback().await?;
            return Ok(None);
        }
        Err(error) => return Err(error),
    }
    let new_head = head + batch.len() as u64;
    move_head(&mut tx, new_head).await?;
    tx.commit().await?;
    Ok(Some(ImportResult { imported: batch.len() as u64, skipped: 0, head: new_head }))
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

async fn copy_into_staging(conn: &mut PgConnection, batch: &[ImportedEvent]) -> Result<(), ImportError> {
    let mut copy = BinaryCopy::start(conn, "folio_import_staging", "ord", false).await?;
    for (event, ord) in batch.iter().zip(0..) {
        copy.push(ord, event).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// Moves the head to `new_head` and queues the NOTIFY that appends queue, in the caller's
/// transaction (which holds the head's lock).
pub(crate) async fn move_head(conn: &mut PgConnection, new_head: Position) -> Result<(), ImportError> {
    sqlx::query("UPDATE folio_log_head SET position = $1").bind(to_i64(new_head)).execute(&mut *conn).await?;
    sqlx::query("SELECT pg_notify($1, $2)").bind(COMMIT_CHANNEL).bind(new_head.to_string()).execute(&mut *conn).await?;
    Ok(())
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
