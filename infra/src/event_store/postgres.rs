//! The cluster backend: PostgreSQL.
//!
//! Global order: every batch transaction first locks the single row of `folio_log_head`
//! (`SELECT ... FOR UPDATE`), assigns positions `head + 1 ...`, inserts, moves the head and
//! commits. The row lock serializes appenders across all processes, and PostgreSQL makes a
//! transaction visible before it releases its locks, so the next appender can only commit after
//! the previous one is visible: positions are gap-free and become visible in order, and a reader
//! of `position > checkpoint` never skips an event. Group commit amortizes the serialization:
//! one lock hold and one fsync per batch, not per append. See ARCHITECTURE.md for the trade-off
//! against a transaction-id (xid8) fence.
//!
//! Subscribers are woken by `NOTIFY folio_events` sent in the same transaction (delivered at
//! commit), with polling as the fallback.

use super::config::StoreConfig;
use super::error::{AppendError, StoreError};
use super::group_commit::{BatchWriter, GroupCommitter};
use super::plan::{lookups, plan_batch, AppendRequest, AppendResult, StoreSnapshot};
use super::row::{to_i64, truncate_to_micros, EventRow};
use super::subscription::{tail, CommitSignal};
use super::{EventStore, EventStream};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::{ExpectedVersion, NewEvent, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::sync::Arc;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The NOTIFY channel that announces commits; the payload is the new head position.
pub const COMMIT_CHANNEL: &str = "folio_events";

const SELECT_EVENTS: &str = "SELECT position, event_id, stream_id, stream_version, event_type, \
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
        let pool = PgPoolOptions::new().max_connections(config.pool_size.max(2)).connect(url).await?;
        Self::with_pool(pool, config).await
    }

    /// As [`Self::connect`] over an existing pool (its size bounds readers and the writer).
    pub async fn with_pool(pool: PgPool, config: StoreConfig) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        let committer = GroupCommitter::start(PgWriter { pool: pool.clone() }, config.group_commit);
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
    async fn append(
        &self,
        stream: StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        if events.is_empty() {
            return Err(AppendError::Empty.into());
        }
        self.inner.committer.append(AppendRequest { stream, expected, events }).await
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

    fn subscribe_all(&self, after: Position) -> EventStream {
        let signal = NotifySignal { pool: self.inner.pool.clone(), listener: None };
        tail(self.clone(), after, Box::new(signal), self.inner.config.poll_interval)
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

struct PgWriter {
    pool: PgPool,
}

#[async_trait]
impl BatchWriter for PgWriter {
    async fn commit(&mut self, batch: &[AppendRequest]) -> Result<Vec<Result<AppendResult, AppendError>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let head: i64 =
            sqlx::query_scalar("SELECT position FROM folio_log_head FOR UPDATE").fetch_one(&mut *tx).await?;
        let snapshot = snapshot(&mut tx, batch, head).await?;
        let plan = plan_batch(batch, snapshot, truncate_to_micros(Utc::now()));
        if plan.to_insert.is_empty() {
            tx.rollback().await?;
            return Ok(plan.outcomes);
        }
        insert(&mut tx, &plan.to_insert).await?;
        sqlx::query(
            "WITH moved AS (UPDATE folio_log_head SET position = $1 RETURNING position) \
             SELECT pg_notify($2, position::text) FROM moved",
        )
        .bind(to_i64(plan.new_head))
        .bind(COMMIT_CHANNEL)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(plan.outcomes)
    }
}

async fn snapshot(
    tx: &mut Transaction<'static, Postgres>,
    batch: &[AppendRequest],
    head: i64,
) -> Result<StoreSnapshot, StoreError> {
    let (streams, ids) = lookups(batch);
    let mut snapshot = StoreSnapshot { head: u64::try_from(head).unwrap_or(0), ..StoreSnapshot::default() };
    let names: Vec<&str> = streams.iter().map(StreamId::as_str).collect();
    let versions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.id, (SELECT max(e.stream_version) FROM folio_events e WHERE e.stream_id = s.id) \
         FROM unnest($1::text[]) AS s(id)",
    )
    .bind(&names)
    .fetch_all(&mut **tx)
    .await
    .map(|rows: Vec<(String, Option<i64>)>| rows.into_iter().map(|(s, v)| (s, v.unwrap_or(0))).collect())?;
    for (stream, version) in versions {
        if let Ok(stream) = StreamId::parse(stream) {
            snapshot.stream_versions.insert(stream, u64::try_from(version).unwrap_or(0));
        }
    }
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<EventRow> =
        sqlx::query_as(&format!("{SELECT_EVENTS} WHERE event_id = ANY($1)")).bind(&ids).fetch_all(&mut **tx).await?;
    for row in rows {
        let event = row.into_recorded()?;
        snapshot.known_events.insert(event.event_id, event);
    }
    Ok(snapshot)
}

async fn insert(tx: &mut Transaction<'static, Postgres>, rows: &[RecordedEvent]) -> Result<(), StoreError> {
    let mut positions = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    let mut streams = Vec::with_capacity(rows.len());
    let mut versions = Vec::with_capacity(rows.len());
    let mut types = Vec::with_capacity(rows.len());
    let mut schema_versions = Vec::with_capacity(rows.len());
    let mut data = Vec::with_capacity(rows.len());
    let mut metadata = Vec::with_capacity(rows.len());
    let mut recorded_at: Vec<DateTime<Utc>> = Vec::with_capacity(rows.len());
    for event in rows {
        positions.push(to_i64(event.position));
        ids.push(event.event_id.0);
        streams.push(event.stream_id.as_str());
        versions.push(to_i64(event.stream_version));
        types.push(event.event_type.as_str());
        schema_versions.push(i16::try_from(event.schema_version).unwrap_or(i16::MAX));
        data.push(event.data.to_string());
        metadata.push(serde_json::to_string(&event.metadata).unwrap_or_else(|_| "{}".into()));
        recorded_at.push(event.recorded_at);
    }
    sqlx::query(
        "INSERT INTO folio_events (position, event_id, stream_id, stream_version, event_type, schema_version, \
         data, metadata, recorded_at) \
         SELECT p, e, s, v, t, sv, d::json, m::json, r \
         FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::int8[], $5::text[], $6::int2[], $7::text[], \
                     $8::text[], $9::timestamptz[]) AS x(p, e, s, v, t, sv, d, m, r)",
    )
    .bind(&positions)
    .bind(&ids)
    .bind(&streams)
    .bind(&versions)
    .bind(&types)
    .bind(&schema_versions)
    .bind(&data)
    .bind(&metadata)
    .bind(&recorded_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
