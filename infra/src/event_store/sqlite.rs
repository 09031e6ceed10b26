//! The embedded backend: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! One writer: the group-commit task owns the only writing connection and wraps each batch in
//! `BEGIN IMMEDIATE`, which also excludes writers in other processes (they wait `busy_timeout`).
//! Positions are `max(position) + 1 ...` read inside that transaction, so they are gap-free and
//! commit in order. Readers use a pool; WAL gives each read a consistent snapshot. Subscribers in
//! this process are woken by an in-process signal after each commit, others by polling.

use super::config::StoreConfig;
use super::error::{AppendError, StoreError};
use super::group_commit::{BatchWriter, GroupCommitter};
use super::import::{BulkStep, ImportError, ImportFeed, ImportResult, ImportedEvent};
use super::plan::{lookups, plan_batch, AppendRequest, AppendResult, AtomicGroup, GroupOutcome, StoreSnapshot};
use super::row::{to_i64, truncate_to_micros, EventRow};
use super::subscription::{tail, CommitSignal};
use super::{EventStore, EventStream};
use async_trait::async_trait;
use events::{Category, EventId, Position, RecordedEvent, StreamId, StreamVersion};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, QueryBuilder, Sqlite};
use std::borrow::Borrow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(super) const COLUMNS: &str =
    "position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at";

/// SQLite's limit on bound parameters per statement is 32766; stay well below it.
pub(super) const ROWS_PER_INSERT: usize = 2000;

/// The SQLite event store. Cheap to clone; clones share the writer and the pool.
#[derive(Debug, Clone)]
pub struct SqliteEventStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    readers: SqlitePool,
    committer: GroupCommitter,
    head: watch::Receiver<Position>,
    /// The writer's commit signal, also sent by imports (which write on a connection of their own).
    head_signal: watch::Sender<Position>,
    options: SqliteConnectOptions,
    config: StoreConfig,
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
}

impl SqliteEventStore {
    /// Opens (creating if needed) the store at `path`, runs its migrations and starts the writer.
    pub async fn open(path: &Path, config: StoreConfig) -> Result<Self, StoreError> {
        let options = options(path);
        let mut writer = crate::sqlite_open::retrying(|| async {
            let mut writer = SqliteConnection::connect_with(&options).await?;
            MIGRATOR.run(&mut writer).await?;
            Ok::<_, StoreError>(writer)
        })
        .await?;
        let head: i64 =
            sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events").fetch_one(&mut writer).await?;
        let (head_tx, head_rx) = watch::channel(u64::try_from(head).unwrap_or(0));
        let readers =
            SqlitePoolOptions::new().max_connections(config.pool_size.max(1)).connect_with(options.clone()).await?;
        let head_signal = head_tx.clone();
        let committer = GroupCommitter::start(SqliteWriter { conn: writer, head: head_tx }, config.group_commit);
        Ok(Self { inner: Arc::new(Inner { readers, committer, head: head_rx, head_signal, options, config }) })
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append_all(&self, appends: Vec<AppendRequest>) -> Result<Vec<AppendResult>, StoreError> {
        if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) {
            return Err(AppendError::Empty.into());
        }
        self.inner.committer.append(appends).await
    }

    async fn import(&self, events: Vec<ImportedEvent>) -> Result<ImportResult, ImportError> {
        super::import_sqlite::import(&self.inner.options, &self.inner.head_signal, events).await
    }

    /// SQLite imports chunk by chunk only: its unique constraints are part of `folio_events`'s
    /// definition (indexes that cannot be dropped), so building them once at the end would mean
    /// a second table and a copy of the whole log into it.
    async fn import_into_empty(
        &self,
        _chunks: &mut tokio::sync::mpsc::Receiver<ImportFeed>,
        _progress: &(dyn Fn(BulkStep) + Send + Sync),
    ) -> Result<Option<ImportResult>, ImportError> {
        Ok(None)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: StreamVersion,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM folio_events WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?"
        );
        let rows: Vec<EventRow> = sqlx::query_as(&sql)
            .bind(stream.as_str())
            .bind(to_i64(from_version))
            .bind(to_i64(limit as u64))
            .fetch_all(&self.inner.readers)
            .await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    async fn read_all(&self, after: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM folio_events WHERE position > ? ORDER BY position LIMIT ?");
        let rows: Vec<EventRow> =
            sqlx::query_as(&sql).bind(to_i64(after)).bind(to_i64(limit as u64)).fetch_all(&self.inner.readers).await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    async fn read_types_between(
        &self,
        after: Position,
        through: Position,
        types: &[String],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM folio_events WHERE position > ? AND position <= ? \
             AND event_type IN (SELECT value FROM json_each(?)) ORDER BY position"
        );
        let types = serde_json::Value::from(types.to_vec()).to_string();
        let rows: Vec<EventRow> = sqlx::query_as(&sql)
            .bind(to_i64(after))
            .bind(to_i64(through))
            .bind(types)
            .fetch_all(&self.inner.readers)
            .await?;
        rows.into_iter().map(EventRow::into_recorded).collect()
    }

    fn subscribe_all(&self, after: Position) -> EventStream {
        let signal = WatchSignal(self.inner.head.clone());
        tail(self.clone(), after, None, Box::new(signal), self.inner.config.poll_interval)
    }

    fn subscribe_types(&self, after: Position, types: Vec<String>) -> EventStream {
        let signal = WatchSignal(self.inner.head.clone());
        tail(self.clone(), after, Some(types), Box::new(signal), self.inner.config.poll_interval)
    }

    async fn event_by_id(&self, event_id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM folio_events WHERE event_id = ?");
        let row: Option<EventRow> = sqlx::query_as(&sql).bind(event_id.0).fetch_optional(&self.inner.readers).await?;
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
            "SELECT stream_id FROM folio_events WHERE stream_version = 1 AND stream_id {op} ? AND stream_id < ? \
             ORDER BY stream_id LIMIT ?"
        );
        let ids: Vec<String> = sqlx::query_scalar(&sql)
            .bind(low)
            .bind(high)
            .bind(to_i64(limit as u64))
            .fetch_all(&self.inner.readers)
            .await?;
        Ok(ids.into_iter().filter_map(|id| StreamId::parse(id).ok()).collect())
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let head: i64 = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events")
            .fetch_one(&self.inner.readers)
            .await?;
        Ok(u64::try_from(head).unwrap_or(0))
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<StreamVersion, StoreError> {
        let version: i64 =
            sqlx::query_scalar("SELECT coalesce(max(stream_version), 0) FROM folio_events WHERE stream_id = ?")
                .bind(stream.as_str())
                .fetch_one(&self.inner.readers)
                .await?;
        Ok(u64::try_from(version).unwrap_or(0))
    }
}

struct WatchSignal(watch::Receiver<Position>);

#[async_trait]
impl CommitSignal for WatchSignal {
    async fn arm(&mut self) {
        self.0.mark_unchanged();
    }

    async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            // The writer is gone: nothing will be committed by this process any more.
            std::future::pending::<()>().await;
        }
    }
}

struct SqliteWriter {
    conn: SqliteConnection,
    head: watch::Sender<Position>,
}

#[async_trait]
impl BatchWriter for SqliteWriter {
    async fn commit(&mut self, batch: &[AtomicGroup]) -> Result<Vec<GroupOutcome>, StoreError> {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut self.conn).await?;
        let written = self.write(batch).await;
        let committed = match written {
            Ok(plan) => match sqlx::query("COMMIT").execute(&mut self.conn).await {
                Ok(_) => Ok(plan),
                Err(error) => Err(error.into()),
            },
            Err(error) => Err(error),
        };
        match committed {
            Ok((new_head, outcomes)) => {
                self.head.send_if_modified(|head| std::mem::replace(head, new_head) != new_head);
                Ok(outcomes)
            }
            Err(error) => {
                if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut self.conn).await {
                    tracing::warn!(error = %rollback, "rollback after a failed batch failed");
                }
                Err(error)
            }
        }
    }
}

type Outcomes = Vec<GroupOutcome>;

impl SqliteWriter {
    async fn write(&mut self, batch: &[AtomicGroup]) -> Result<(Position, Outcomes), StoreError> {
        let snapshot = self.snapshot(batch).await?;
        let plan = plan_batch(batch, snapshot, truncate_to_micros(chrono::Utc::now()));
        for rows in plan.to_insert.chunks(ROWS_PER_INSERT) {
            insert(&mut self.conn, rows).await?;
        }
        Ok((plan.new_head, plan.outcomes))
    }

    async fn snapshot(&mut self, batch: &[AtomicGroup]) -> Result<StoreSnapshot, StoreError> {
        let (streams, ids) = lookups(batch);
        let head: i64 =
            sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events").fetch_one(&mut self.conn).await?;
        let mut snapshot = StoreSnapshot { head: u64::try_from(head).unwrap_or(0), ..StoreSnapshot::default() };

        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT stream_id, max(stream_version) FROM folio_events WHERE stream_id IN (");
        let mut list = query.separated(", ");
        for stream in &streams {
            list.push_bind(stream.as_str());
        }
        query.push(") GROUP BY stream_id");
        let versions: Vec<(String, i64)> = query.build_query_as().fetch_all(&mut self.conn).await?;
        for (stream, version) in versions {
            if let Ok(stream) = StreamId::parse(stream) {
                snapshot.stream_versions.insert(stream, u64::try_from(version).unwrap_or(0));
            }
        }

        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM folio_events WHERE event_id IN ("));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            query.push(")");
            let rows: Vec<EventRow> = query.build_query_as().fetch_all(&mut self.conn).await?;
            for row in rows {
                let event = row.into_recorded()?;
                snapshot.known_events.insert(event.event_id, Arc::new(event));
            }
        }
        Ok(snapshot)
    }
}

pub(super) async fn insert<R: Borrow<RecordedEvent>>(
    conn: &mut SqliteConnection,
    rows: &[R],
) -> Result<(), StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(format!("INSERT INTO folio_events ({COLUMNS}) "));
    query.push_values(rows, |mut row, event| {
        let event: &RecordedEvent = event.borrow();
        row.push_bind(to_i64(event.position))
            .push_bind(event.event_id.0)
            .push_bind(event.stream_id.as_str().to_owned())
            .push_bind(to_i64(event.stream_version))
            .push_bind(event.event_type.clone())
            .push_bind(i64::from(event.schema_version))
            .push_bind(event.data.to_string())
            .push_bind(serde_json::to_string(&event.metadata).unwrap_or_else(|_| "{}".into()))
            .push_bind(event.recorded_at.timestamp_micros());
    });
    query.build().execute(conn).await?;
    Ok(())
}
