//! Bulk import into an EMPTY PostgreSQL store, in one transaction (rules: [`super::import`],
//! "Into an empty store").
//!
//! 1. Take `folio_log_head`'s row lock, as every append and import does, and check that the log
//!    is empty; otherwise give up having received nothing.
//! 2. Lock `folio_events` exclusively, record how its indexes and unique constraints are
//!    defined (from the catalog, so the migrations stay their only source), drop them, and
//!    `TRUNCATE` the (empty) table so that `COPY ... FREEZE` may write its rows frozen: the
//!    projections' first read of 23M events then dirties no page to set hint bits.
//! 3. Stream every chunk into one binary `COPY` at positions 1, 2, ..., checking each chunk in
//!    Rust as it passes: ids once per chunk, schema versions, and every stream's versions
//!    contiguous from 1 (one map entry per stream).
//! 4. Build the indexes again: one sorted pass each, in parallel workers where the server
//!    allows, instead of one random B-tree insertion per event per index. A duplicate id
//!    across chunks fails its unique index here.
//! 5. Move the head, queue the NOTIFY appends queue, commit.
//!
//! All of it is one transaction: a failure or a crash anywhere leaves the empty store as it was,
//! indexes included (PostgreSQL's DDL is transactional). Readers and writers of the log wait for
//! the commit.

use super::copy_binary;
use super::error::StoreError;
use super::import::{batch_ids, BulkStep, ImportError, ImportResult, ImportedEvent, StreamVersions};
use super::postgres::COMMIT_CHANNEL;
use super::row::to_i64;
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc;

/// COPY data is sent in pieces of about this many bytes.
const COPY_CHUNK_BYTES: usize = 1 << 20;

const COPY_FROZEN: &str = "COPY folio_events (position, event_id, stream_id, stream_version, event_type, \
     schema_version, data, metadata, recorded_at) FROM STDIN WITH (FORMAT binary, FREEZE)";

/// Memory for each index build's sort (the server's default, 64 MB, spills 23M keys to disk).
const INDEX_BUILD_MEMORY: &str = "256MB";

/// The statements that drop, then create again, one index of `folio_events` (a unique
/// constraint's through the constraint, so that it comes back as a constraint).
const INDEX_DEFINITIONS: &str = "\
    SELECT CASE WHEN con.oid IS NULL THEN format('DROP INDEX %I.%I', n.nspname, c.relname) \
                ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', i.indrelid::regclass, con.conname) END, \
           CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.indexrelid) \
                ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', i.indrelid::regclass, con.conname, \
                            pg_get_constraintdef(con.oid)) END \
    FROM pg_index i \
    JOIN pg_class c ON c.oid = i.indexrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid \
    WHERE i.indrelid = 'folio_events'::regclass \
    ORDER BY i.indisprimary DESC, c.relname";

/// Imports every chunk of `chunks` into the empty store behind `pool`, or returns `None`, having
/// received nothing, when the store is not empty.
pub(crate) async fn import_into_empty(
    pool: &PgPool,
    chunks: &mut mpsc::Receiver<Vec<ImportedEvent>>,
    progress: &(dyn Fn(BulkStep) + Send + Sync),
) -> Result<Option<ImportResult>, ImportError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head FOR UPDATE").fetch_one(&mut *tx).await?;
    if head != 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    sqlx::query("LOCK TABLE folio_events IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await?;
    // Rows past a head of 0 cannot exist (the head moves in the transaction that writes them);
    // should one, the TRUNCATE below must not be what removes it.
    let stored: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM folio_events)").fetch_one(&mut *tx).await?;
    if stored {
        tx.rollback().await?;
        return Ok(None);
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(INDEX_DEFINITIONS).fetch_all(&mut *tx).await?;
    for (drop, _) in &indexes {
        sqlx::query(drop).execute(&mut *tx).await?;
    }
    sqlx::query("TRUNCATE folio_events").execute(&mut *tx).await?;
    sqlx::query(&format!("SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")).execute(&mut *tx).await?;

    let imported = copy_every_chunk(&mut tx, chunks, progress).await?;
    if imported == 0 {
        tx.rollback().await?;
        return Ok(Some(ImportResult { imported: 0, skipped: 0, head: 0 }));
    }
    progress(BulkStep::BuildingIndexes);
    for (_, create) in &indexes {
        if let Err(error) = sqlx::query(create).execute(&mut *tx).await {
            return Err(match error.as_database_error() {
                Some(e) if e.is_unique_violation() => ImportError::DuplicateInImport {
                    detail: e
                        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .and_then(|pg| pg.detail())
                        .unwrap_or_else(|| e.message())
                        .to_owned(),
                },
                _ => error.into(),
            });
        }
    }
    sqlx::query("UPDATE folio_log_head SET position = $1").bind(to_i64(imported)).execute(&mut *tx).await?;
    sqlx::query("SELECT pg_notify($1, $2)").bind(COMMIT_CHANNEL).bind(imported.to_string()).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Some(ImportResult { imported, skipped: 0, head: imported }))
}

/// Step 3: every chunk into one `COPY`, checked as it passes. Returns how many events it wrote.
async fn copy_every_chunk(
    conn: &mut PgConnection,
    chunks: &mut mpsc::Receiver<Vec<ImportedEvent>>,
    progress: &(dyn Fn(BulkStep) + Send + Sync),
) -> Result<u64, ImportError> {
    let mut copy = conn.copy_in_raw(COPY_FROZEN).await?;
    let mut buffer = Vec::with_capacity(COPY_CHUNK_BYTES + 64 * 1024);
    buffer.extend_from_slice(copy_binary::HEADER);
    let mut versions = StreamVersions::default();
    let mut written = 0u64;
    while let Some(chunk) = chunks.recv().await {
        if let Err(refusal) = batch_ids(&chunk).map(drop).and_then(|()| versions.continue_with(&chunk)) {
            copy.abort("the import was refused").await?;
            return Err(refusal);
        }
        for event in &chunk {
            written += 1;
            copy_binary::push_event(&mut buffer, written, event);
            if buffer.len() >= COPY_CHUNK_BYTES {
                copy.send(buffer.as_slice()).await?;
                buffer.clear();
            }
        }
        progress(BulkStep::Copied(chunk.len() as u64));
    }
    buffer.extend_from_slice(copy_binary::TRAILER);
    copy.send(buffer.as_slice()).await?;
    let rows = copy.finish().await?;
    if rows != written {
        return Err(
            StoreError::Corrupt { position: 1, reason: format!("COPY wrote {rows} of {written} events") }.into()
        );
    }
    Ok(written)
}
