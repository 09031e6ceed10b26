//! Bulk import into an EMPTY PostgreSQL store, in one transaction (rules: [`super::import`],
//! "Into an empty store").
//!
//! 1. Lock `folio_log_head` against writers (`EXCLUSIVE`: reads of the head go on), then
//!    `folio_events` (`ACCESS EXCLUSIVE`), in that order, the order every append and import
//!    takes their locks in, so that no append deadlocks with it. Check that the log is empty and
//!    that this role owns the table (it must, to drop its indexes); otherwise give up having
//!    received nothing.
//! 2. Record how the log's indexes and unique constraints are defined (from the catalog, so the
//!    migrations stay their only source), drop them, and `TRUNCATE` the (empty) table so that `COPY ... FREEZE` may write its rows frozen: the
//!    projections' first read of 23M events then dirties no page to set hint bits.
//! 3. Stream every chunk into one binary `COPY` at positions 1, 2, ..., checking each chunk in
//!    Rust as it passes: ids once per chunk, schema versions, and every stream's versions
//!    contiguous from 1 (one map entry per stream), until [`ImportFeed::End`].
//! 4. Build the indexes again: one sorted pass each, in parallel workers where the server
//!    allows, instead of one random B-tree insertion per event per index. A duplicate id
//!    across chunks fails its unique index here.
//! 5. Move the head, queue the NOTIFY appends queue, commit, then `ANALYZE` the log so the
//!    planner knows its new size at once.
//!
//! All of it is one transaction: a failure or a crash anywhere leaves the empty store as it was,
//! indexes included (PostgreSQL's DDL is transactional). Readers and writers of the log wait for
//! the commit.

use super::copy_binary::BinaryCopy;
use super::import::{batch_ids, BulkStep, ImportError, ImportFeed, ImportResult, StreamVersions};
use super::import_postgres::move_head;
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc;

/// Memory for each index build's sort (the server's default, 64 MB, spills 23M keys to disk;
/// 1 GB measured slower than 256 MB).
const INDEX_BUILD_MEMORY: &str = "256MB";

/// The statements that drop, then create again, one index of `folio_events` (a primary key's
/// or unique constraint's through the constraint, so that it comes back as a constraint).
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
                               AND con.contype IN ('p', 'u', 'x') \
    WHERE i.indrelid = 'folio_events'::regclass \
    ORDER BY i.indisprimary DESC, c.relname";

/// Imports every chunk of `chunks` into the empty store behind `pool`, or returns `None`, having
/// received nothing, when the store is not empty or this role does not own the log.
pub(crate) async fn import_into_empty(
    pool: &PgPool,
    chunks: &mut mpsc::Receiver<ImportFeed>,
    progress: &(dyn Fn(BulkStep) + Send + Sync),
) -> Result<Option<ImportResult>, ImportError> {
    let mut conn = pool.acquire().await?;
    // A store that is not empty is told apart without a lock: the locks below would stop its
    // readers and writers for as long as they wait.
    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head").fetch_one(&mut *conn).await?;
    if head != 0 {
        return Ok(None);
    }
    // Without ownership the indexes cannot be dropped: chunk by chunk needs only INSERT.
    let owner: bool =
        sqlx::query_scalar("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'folio_events'::regclass")
            .fetch_one(&mut *conn)
            .await?;
    if !owner {
        return Ok(None);
    }
    let mut tx = conn.begin().await?;
    sqlx::query("LOCK TABLE folio_log_head IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    sqlx::query("LOCK TABLE folio_events IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await?;
    let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head").fetch_one(&mut *tx).await?;
    // Rows past a head of 0 cannot exist (the head moves in the transaction that writes them);
    // should one, the TRUNCATE below must not be what removes it.
    let stored: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM folio_events)").fetch_one(&mut *tx).await?;
    if head != 0 || stored {
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
    move_head(&mut tx, imported).await?;
    tx.commit().await?;
    if let Err(error) = sqlx::query("ANALYZE folio_events").execute(&mut *conn).await {
        tracing::warn!(%error, "the import is committed; ANALYZE of the log failed (autovacuum will do it)");
    }
    Ok(Some(ImportResult { imported, skipped: 0, head: imported }))
}

/// Step 3: every chunk into one `COPY`, checked as it passes, until [`ImportFeed::End`].
/// Returns how many events it wrote.
async fn copy_every_chunk(
    conn: &mut PgConnection,
    chunks: &mut mpsc::Receiver<ImportFeed>,
    progress: &(dyn Fn(BulkStep) + Send + Sync),
) -> Result<u64, ImportError> {
    let mut copy = BinaryCopy::start(conn, "folio_events", "position", true).await?;
    let mut versions = StreamVersions::default();
    let mut written = 0u64;
    loop {
        let chunk = match chunks.recv().await {
            Some(ImportFeed::Chunk(chunk)) => chunk,
            Some(ImportFeed::End) => break,
            None => {
                copy.abort("the import's source stopped before its end").await?;
                return Err(ImportError::SourceStopped);
            }
        };
        if let Err(refusal) = batch_ids(&chunk).map(drop).and_then(|()| versions.continue_with(&chunk)) {
            copy.abort("the import was refused").await?;
            return Err(refusal);
        }
        for event in &chunk {
            written += 1;
            copy.push(written, event).await?;
        }
        progress(BulkStep::Copied(chunk.len() as u64));
    }
    copy.finish().await
}
