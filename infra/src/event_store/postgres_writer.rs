//! The PostgreSQL store's writer half: the one connection that writes the log, and the one that
//! reads each batch's snapshot ahead of it (`read_ahead` holds the rules they follow).

use super::error::{AppendError, StoreError};
use super::plan::{lookups, plan_batch, AtomicGroup, Committed, GroupOutcome, StoreSnapshot};
use super::postgres::COMMIT_CHANNEL;
use super::read_ahead::{SnapshotReader, SnapshotWriter};
use super::row::{to_i64, truncate_to_micros, EventRow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::{EventId, Position, RecordedEvent, StreamId};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::Connection;
use std::sync::Arc;
use uuid::Uuid;

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
pub(super) struct PgWriter {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
}

impl PgWriter {
    pub(super) fn new(pool: &PgPool) -> Self {
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
pub(super) struct PgReader {
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
    pub(super) fn new(pool: &PgPool) -> Self {
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
                snapshot.known_events.insert(event.event_id, Arc::new(event));
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
    rows: &[Arc<RecordedEvent>],
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
        // The plan refused anything above MAX_SCHEMA_VERSION (i16::MAX): never stored clamped.
        let schema_version = i16::try_from(event.schema_version).map_err(|_| AppendError::SchemaVersionTooHigh {
            event_id: event.event_id,
            schema_version: event.schema_version,
        })?;
        schema_versions.push(schema_version);
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
