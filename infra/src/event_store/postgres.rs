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
use super::import::{ImportError, ImportResult, ImportedEvent};
use super::plan::{
    lookups, plan_batch, AppendRequest, AppendResult, AtomicGroup, Committed, GroupOutcome, StoreSnapshot,
};
use super::read_ahead::{SnapshotReader, SnapshotWriter};
use super::row::{to_i64, truncate_to_micros, EventRow};
use super::subscription::{tail, CommitSignal};
use super::{EventStore, EventStream};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::{Category, EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::Connection;
use std::sync::Arc;
use uuid::Uuid;

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

/// The reader's connection options. Its one statement must use the indexes whatever the table's
/// size: a generic plan cached while the table was nearly empty kept scanning it sequentially as
/// it grew (874 sequential scans in a few seconds, seen in `pg_stat_user_tables` during the first
/// benchmark). `enable_seqscan=off` rules that plan out, so the statement is planned once
/// (`force_generic_plan`) instead of per read (re-planning cost the server ~0.15 ms per read).
/// A disabled sequential scan still plans `folio_log_head`'s (one row, no other path) at a cost
/// of 10^10, over `jit_above_cost`: without `jit=off` each read was JIT-compiled (110 ms).
fn reader_options(pool: &PgPool) -> PgConnectOptions {
    pool.connect_options()
        .as_ref()
        .clone()
        .options([("enable_seqscan", "off"), ("jit", "off"), ("plan_cache_mode", "force_generic_plan")])
        .application_name(READER_NAME)
}

/// `application_name` of the connection that reads batches' snapshots (as `pg_stat_activity` shows it).
pub const READER_NAME: &str = "folio event store reader";
/// `application_name` of the connection that writes the event log.
pub const WRITER_NAME: &str = "folio event store writer";

/// The single writer of this store, on its own connection.
struct PgWriter {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
}

impl PgWriter {
    fn new(pool: &PgPool) -> Self {
        Self { options: pool.connect_options().as_ref().clone().application_name(WRITER_NAME), conn: None }
    }

    async fn try_commit(
        &mut self,
        batch: &[AtomicGroup],
        snapshot: Option<StoreSnapshot>,
    ) -> Result<(Outcomes, Committed), StoreError> {
        if self.conn.is_none() {
            self.conn = Some(PgConnection::connect_with(&self.options).await?);
        }
        let Some(conn) = self.conn.as_mut() else { return Err(StoreError::Closed) };

        // Optimistic: plan on the snapshot read without locks, then compare-and-swap the head in
        // the insert.
        if let Some(snapshot) = snapshot {
            let planned_on = snapshot.head;
            let plan = plan_batch(batch, snapshot, truncate_to_micros(Utc::now()));
            if plan.to_insert.is_empty() {
                return Ok((plan.outcomes, Committed { planned_on, new_head: planned_on, written: Vec::new() }));
            }
            if insert_if_head_unmoved(conn, planned_on, plan.new_head, &plan.to_insert).await? {
                return Ok((plan.outcomes, Committed { planned_on, new_head: plan.new_head, written: plan.to_insert }));
            }
        }

        // Another process appended first (or the snapshot could not be read): queue on the
        // head's row lock instead of racing again.
        tracing::debug!("head moved under an optimistic batch; retrying under the head lock");
        let mut tx = conn.begin().await?;
        // One statement under the lock: take it, and (as SET LOCAL would) make this
        // transaction's reads use the indexes without JIT, as the reader's do.
        sqlx::query(
            "SELECT position, set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true) \
             FROM folio_log_head FOR UPDATE",
        )
        .execute(&mut *tx)
        .await?;
        let (streams, ids) = lookups(batch);
        let snapshot = read_snapshot(&mut tx, &streams, &ids).await?;
        let planned_on = snapshot.head;
        let plan = plan_batch(batch, snapshot, truncate_to_micros(Utc::now()));
        if plan.to_insert.is_empty() {
            tx.rollback().await?;
            return Ok((plan.outcomes, Committed { planned_on, new_head: planned_on, written: Vec::new() }));
        }
        if !insert_if_head_unmoved(&mut tx, planned_on, plan.new_head, &plan.to_insert).await? {
            return Err(StoreError::Corrupt {
                position: to_i64(planned_on),
                reason: "head moved under its row lock".into(),
            });
        }
        tx.commit().await?;
        Ok((plan.outcomes, Committed { planned_on, new_head: plan.new_head, written: plan.to_insert }))
    }
}

type Outcomes = Vec<GroupOutcome>;

#[async_trait]
impl SnapshotWriter for PgWriter {
    async fn commit(
        &mut self,
        batch: &[AtomicGroup],
        snapshot: Option<StoreSnapshot>,
    ) -> Result<(Outcomes, Committed), StoreError> {
        let outcome = self.try_commit(batch, snapshot).await;
        if outcome.is_err() {
            // The connection may be broken or mid-transaction: start the next batch on a new one.
            self.conn = None;
        }
        outcome
    }
}

/// Reads the next batch's snapshot while the writer commits, on a connection of its own.
struct PgReader {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
    /// When a failure was last logged as a warning (at most one a minute: a reader that keeps
    /// failing sends every batch down the locked path, which an operator should hear of).
    warned: Option<std::time::Instant>,
}

/// A read (connecting included) that takes longer is abandoned: the batch then reads under the
/// head's lock, so a stuck connection slows appends instead of stopping them.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl PgReader {
    fn new(pool: &PgPool) -> Self {
        Self { options: reader_options(pool), conn: None, warned: None }
    }

    async fn try_read(&mut self, streams: &[StreamId], ids: &[EventId]) -> Result<StoreSnapshot, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(PgConnection::connect_with(&self.options).await?);
        }
        let Some(conn) = self.conn.as_mut() else { return Err(StoreError::Closed) };
        read_snapshot(conn, streams, ids).await
    }
}

#[async_trait]
impl SnapshotReader for PgReader {
    async fn read(&mut self, streams: &[StreamId], ids: &[EventId]) -> Result<StoreSnapshot, StoreError> {
        let snapshot = match tokio::time::timeout(READ_TIMEOUT, self.try_read(streams, ids)).await {
            Ok(read) => read,
            Err(_) => {
                let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "snapshot read took over 5 s");
                Err(sqlx::Error::Io(timed_out).into())
            }
        };
        if let Err(error) = &snapshot {
            // Broken, or cut off mid-statement: the next read starts on a new connection.
            self.conn = None;
            if self.warned.is_none_or(|at| at.elapsed() > std::time::Duration::from_secs(60)) {
                tracing::warn!(error = %error, "the event store's reader failed; batches read under the head's lock meanwhile");
                self.warned = Some(std::time::Instant::now());
            }
        }
        snapshot
    }
}

/// The head, the versions of a batch's streams and its stored events, in ONE statement (one
/// snapshot, one round trip): a row per kind, told apart by `kind`.
const READ_SNAPSHOT: &str = "\
    SELECT 'h' AS kind, position AS head, NULL::text AS stream, NULL::int8 AS version, \
           NULL::int8 AS position, NULL::uuid AS event_id, NULL::text AS stream_id, \
           NULL::int8 AS stream_version, NULL::text AS event_type, NULL::int8 AS schema_version, \
           NULL::text AS data, NULL::text AS metadata, NULL::int8 AS recorded_at \
    FROM folio_log_head \
    UNION ALL \
    SELECT 's', NULL, s.id, (SELECT max(e.stream_version) FROM folio_events e WHERE e.stream_id = s.id), \
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
    FROM unnest($1::text[]) AS s(id) \
    UNION ALL \
    SELECT 'e', NULL, NULL, NULL, position, event_id, stream_id, stream_version, event_type, \
           schema_version::int8, data::text, metadata::text, \
           (extract(epoch FROM recorded_at) * 1000000)::int8 \
    FROM folio_events WHERE event_id = ANY($2)";

/// Reads the head, the versions of `streams` and any stored events among `ids`, in one
/// statement. Outside a transaction this takes no lock: anything committed after the head was
/// read has moved it, which the insert detects.
async fn read_snapshot(
    conn: &mut PgConnection,
    streams: &[StreamId],
    ids: &[EventId],
) -> Result<StoreSnapshot, StoreError> {
    use sqlx::Row;
    let names: Vec<&str> = streams.iter().map(StreamId::as_str).collect();
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let rows = sqlx::query(READ_SNAPSHOT).bind(&names).bind(&ids).fetch_all(&mut *conn).await?;
    let mut snapshot = StoreSnapshot::default();
    for row in rows {
        match row.try_get::<&str, _>("kind")? {
            "h" => snapshot.head = u64::try_from(row.try_get::<i64, _>("head")?).unwrap_or(0),
            "s" => {
                let stream: String = row.try_get("stream")?;
                if let (Ok(stream), Some(version)) =
                    (StreamId::parse(stream), row.try_get::<Option<i64>, _>("version")?)
                {
                    snapshot.stream_versions.insert(stream, u64::try_from(version).unwrap_or(0));
                }
            }
            _ => {
                let event = EventRow {
                    position: row.try_get("position")?,
                    event_id: row.try_get("event_id")?,
                    stream_id: row.try_get("stream_id")?,
                    stream_version: row.try_get("stream_version")?,
                    event_type: row.try_get("event_type")?,
                    schema_version: row.try_get("schema_version")?,
                    data: row.try_get("data")?,
                    metadata: row.try_get("metadata")?,
                    recorded_at: row.try_get("recorded_at")?,
                }
                .into_recorded()?;
                snapshot.known_events.insert(event.event_id, event);
            }
        }
    }
    Ok(snapshot)
}

/// One statement, so one transaction and one round trip: move the head from `read_head` to
/// `new_head` (taking its row lock until commit), insert the events only if that worked, and
/// NOTIFY. Returns false, having written nothing, if another process moved the head first.
async fn insert_if_head_unmoved(
    conn: &mut PgConnection,
    read_head: Position,
    new_head: Position,
    rows: &[RecordedEvent],
) -> Result<bool, StoreError> {
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
        // The plan refused anything above MAX_SCHEMA_VERSION (i16::MAX).
        schema_versions.push(i16::try_from(event.schema_version).unwrap_or(i16::MAX));
        data.push(event.data.to_string());
        metadata.push(serde_json::to_string(&event.metadata).unwrap_or_else(|_| "{}".into()));
        recorded_at.push(event.recorded_at);
    }
    let moved: Option<(i64,)> = sqlx::query_as(
        "WITH moved AS ( \
             UPDATE folio_log_head SET position = $10 WHERE position = $11 RETURNING position \
         ), inserted AS ( \
             INSERT INTO folio_events (position, event_id, stream_id, stream_version, event_type, \
                                       schema_version, data, metadata, recorded_at) \
             SELECT p, e, s, v, t, sv, d::json, m::json, r \
             FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::int8[], $5::text[], $6::int2[], \
                         $7::text[], $8::text[], $9::timestamptz[]) AS x(p, e, s, v, t, sv, d, m, r) \
             WHERE EXISTS (SELECT 1 FROM moved) \
             RETURNING 1 \
         ) \
         SELECT position FROM moved, LATERAL (SELECT pg_notify($12, position::text)) AS notified",
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
    .bind(to_i64(new_head))
    .bind(to_i64(read_head))
    .bind(COMMIT_CHANNEL)
    .fetch_optional(conn)
    .await?;
    Ok(moved.is_some())
}
