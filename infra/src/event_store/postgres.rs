//! The cluster backend: PostgreSQL.
//!
//! Global order: a batch reads the head position and the state it needs without locks, plans,
//! then in ONE statement moves `folio_log_head` from the head it read to the new head (a
//! compare-and-swap that takes the row lock until commit), inserts the events only if that
//! worked, and NOTIFYs. If another process appended first, the head has moved, nothing is
//! written, and the batch re-plans. The row lock serializes committers across all processes, and
//! PostgreSQL makes a transaction visible before it releases its locks, so the next appender can
//! only move the head after the previous batch is visible: positions are gap-free and become
//! visible in order, and a reader of `position > checkpoint` never skips an event. Group commit
//! amortizes the serialization: one lock hold and one fsync per batch, not per append. See
//! ARCHITECTURE.md for the trade-off against a transaction-id (xid8) fence.
//!
//! Subscribers are woken by `NOTIFY folio_events` sent in the same transaction (delivered at
//! commit), with polling as the fallback.

use super::config::StoreConfig;
use super::error::{AppendError, StoreError};
use super::group_commit::GroupCommitter;
use super::import::{BulkStep, ImportError, ImportFeed, ImportResult, ImportedEvent};
use super::plan::{AppendRequest, AppendResult};
use super::postgres_writer::{PgReader, PgWriter};
pub use super::postgres_writer::{READER_NAME, WRITER_NAME};
use super::row::{to_i64, EventRow};
use super::subscription::{tail, CommitSignal};
use super::{EventStore, EventStream};
use async_trait::async_trait;
use events::{Category, EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use std::sync::Arc;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The NOTIFY channel that announces commits; the payload is the new head position.
pub const COMMIT_CHANNEL: &str = "folio_events";

pub(super) const SELECT_EVENTS: &str = "SELECT position, event_id, stream_id, stream_version, event_type, \
     schema_version::int8 AS schema_version, data::text AS data, metadata::text AS metadata, \
     (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_at FROM folio_events";

/// The PostgreSQL event store. Cheap to clone; clones share the pool and the writer.
#[derive(Debug, Clone)]
pub struct PostgresEventStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    committer: GroupCommitter,
    config: StoreConfig,
}

impl PostgresEventStore {
    /// Connects to `url`, runs the migrations and starts the writer.
    pub async fn connect(url: &str, config: StoreConfig) -> Result<Self, StoreError> {
        use sqlx::ConnectOptions;
        // sqlx warns of statements over 1 s; a bulk import's batch takes about that by design.
        let options = <PgConnectOptions as std::str::FromStr>::from_str(url)?
            .log_slow_statements(log::LevelFilter::Warn, std::time::Duration::from_secs(5));
        let pool = PgPoolOptions::new()
            .max_connections(config.pool_size.max(2))
            .after_connect(|conn, _| Box::pin(crate::priority::on_postgres_connect(conn)))
            .connect_with(options)
            .await?;
        Self::with_pool(pool, config).await
    }

    /// As [`Self::connect`] over an existing pool (its size bounds readers and the writer).
    pub async fn with_pool(pool: PgPool, config: StoreConfig) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        let committer =
            GroupCommitter::start_reading_ahead(PgWriter::new(&pool), PgReader::new(&pool), config.group_commit);
        Ok(Self { inner: Arc::new(Inner { pool, committer, config }) })
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }
}

/// Runs the event log's migrations (idempotent; concurrent runs are serialized by sqlx).
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn append_all(&self, appends: Vec<AppendRequest>) -> Result<Vec<AppendResult>, StoreError> {
        if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) {
            return Err(AppendError::Empty.into());
        }
        self.inner.committer.append(appends).await
    }

    async fn import(&self, events: Vec<ImportedEvent>) -> Result<ImportResult, ImportError> {
        super::import_postgres::import(&self.inner.pool, events).await
    }

    async fn import_into_empty(
        &self,
        chunks: &mut tokio::sync::mpsc::Receiver<ImportFeed>,
        progress: &(dyn Fn(BulkStep) + Send + Sync),
    ) -> Result<Option<ImportResult>, ImportError> {
        super::import_bulk_postgres::import_into_empty(&self.inner.pool, chunks, progress).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: StreamVersion,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql =
            format!("{SELECT_EVENTS} WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3");
        let rows: Vec<EventRow> = sqlx::query_as(&sql)
            .bind(stream.as_str())
            .bind(to_i64(from_version))
            .bind(to_i64(limit as u64))
            .fetch_all(&self.inner.pool)
            .await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    async fn read_all(&self, after: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!("{SELECT_EVENTS} WHERE position > $1 ORDER BY position LIMIT $2");
        let rows: Vec<EventRow> =
            sqlx::query_as(&sql).bind(to_i64(after)).bind(to_i64(limit as u64)).fetch_all(&self.inner.pool).await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    async fn read_types_between(
        &self,
        after: Position,
        through: Position,
        types: &[String],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "{SELECT_EVENTS} WHERE position > $1 AND position <= $2 AND event_type = ANY($3) ORDER BY position"
        );
        let rows: Vec<EventRow> = sqlx::query_as(&sql)
            .bind(to_i64(after))
            .bind(to_i64(through))
            .bind(types)
            .fetch_all(&self.inner.pool)
            .await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    fn subscribe_all(&self, after: Position) -> EventStream {
        let signal = NotifySignal { pool: self.inner.pool.clone(), listener: None };
        tail(self.clone(), after, None, Box::new(signal), self.inner.config.poll_interval)
    }

    fn subscribe_types(&self, after: Position, types: Vec<String>) -> EventStream {
        let signal = NotifySignal { pool: self.inner.pool.clone(), listener: None };
        tail(self.clone(), after, Some(types), Box::new(signal), self.inner.config.poll_interval)
    }

    async fn event_by_id(&self, event_id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        let sql = format!("{SELECT_EVENTS} WHERE event_id = $1");
        let row: Option<EventRow> = sqlx::query_as(&sql).bind(event_id.0).fetch_optional(&self.inner.pool).await?;
        row.map(EventRow::into_recorded).transpose()
    }

    async fn list_streams(
        &self,
        category: &Category,
        after: Option<&StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        let (low, high) = super::category_range(category, after);
        let op = if after.is_some() { ">" } else { ">=" };
        let sql = format!(
            "SELECT stream_id FROM folio_events WHERE stream_version = 1 \
             AND stream_id COLLATE \"C\" {op} $1 AND stream_id COLLATE \"C\" < $2 \
             ORDER BY stream_id COLLATE \"C\" LIMIT $3"
        );
        let ids: Vec<String> = sqlx::query_scalar(&sql)
            .bind(low)
            .bind(high)
            .bind(to_i64(limit as u64))
            .fetch_all(&self.inner.pool)
            .await?;
        Ok(ids.into_iter().filter_map(|id| StreamId::parse(id).ok()).collect())
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let head: i64 = sqlx::query_scalar("SELECT position FROM folio_log_head").fetch_one(&self.inner.pool).await?;
        Ok(u64::try_from(head).unwrap_or(0))
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<StreamVersion, StoreError> {
        let version: i64 =
            sqlx::query_scalar("SELECT coalesce(max(stream_version), 0) FROM folio_events WHERE stream_id = $1")
                .bind(stream.as_str())
                .fetch_one(&self.inner.pool)
                .await?;
        Ok(u64::try_from(version).unwrap_or(0))
    }
}

/// LISTEN on its own connection; if that fails, the subscription falls back to polling.
struct NotifySignal {
    pool: PgPool,
    listener: Option<PgListener>,
}

#[async_trait]
impl CommitSignal for NotifySignal {
    async fn arm(&mut self) {
        let listener = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(COMMIT_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listener.await {
            Ok(listener) => self.listener = Some(listener),
            Err(error) => tracing::warn!(error = %error, "LISTEN failed; subscription falls back to polling"),
        }
    }

    async fn changed(&mut self) {
        let Some(listener) = self.listener.as_mut() else {
            return std::future::pending().await;
        };
        match listener.recv().await {
            // Many commits may have been announced meanwhile; one read catches up with all.
            Ok(_) => while listener.next_buffered().is_some() {},
            Err(error) => {
                tracing::warn!(error = %error, "LISTEN connection lost; reconnecting on the next wait");
                std::future::pending::<()>().await;
            }
        }
    }
}
