//! Runs [`Sql`] on the read-model database; its rows are [`AnyRow`]s ([`crate::row`]).

use crate::error::QueryError;
use crate::gather::Waiting;
use crate::read_pool::{Lease, ThreadPools};
pub use crate::row::AnyRow;
use crate::sql::{Arg, Dialect, Planning, Sql};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::SqliteConnection;
use sqlx::{PgPool, Row, SqlitePool};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The read models' database, as the query API reads it. Cheap to clone (pools).
///
/// On PostgreSQL, two sets of per-thread pools ([`ThreadPools`]) over the same database:
/// `per_values` for statements planned with PostgreSQL's default, `generic`
/// (`plan_cache_mode = force_generic_plan`) for those marked [`Planning::Generic`]. Connections
/// open on demand, up to the given pool's size per thread and per set.
///
/// Reads planned once are gathered ([`crate::gather`]): those that arrive while a statement of
/// the same text runs on their thread go together in its next execution.
#[derive(Debug, Clone)]
pub enum ReadDb {
    Postgres { per_values: ThreadPools<PgConnection>, generic: ThreadPools<PgConnection>, waiting: Arc<Waiting> },
    Sqlite(ThreadPools<SqliteConnection>),
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;
type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind_postgres<'q>(text: &'q str, args: &'q [Arg]) -> PgQuery<'q> {
    let mut query = sqlx::query(text);
    for arg in args {
        query = match arg {
            Arg::Text(t) => query.bind(t.as_str()),
            Arg::Uuid(u) => query.bind(*u),
            Arg::F64(f) => query.bind(*f),
            Arg::I64(i) => query.bind(*i),
            Arg::Time(t) => query.bind(time_of(*t)),
            Arg::UuidArray(v) => query.bind(v.as_slice()),
            Arg::TextArray(v) => query.bind(v.as_slice()),
            Arg::F64Array(v) => query.bind(v.as_slice()),
            Arg::I64Array(v) => query.bind(v.as_slice()),
            Arg::TimeArray(v) => query.bind(v.iter().map(|t| time_of(*t)).collect::<Vec<_>>()),
        };
    }
    query
}

fn bind_sqlite<'q>(text: &'q str, args: &'q [Arg]) -> Result<SqliteQuery<'q>, QueryError> {
    let mut query = sqlx::query(text);
    for arg in args {
        query = match arg {
            Arg::Text(t) => query.bind(t.as_str()),
            Arg::Uuid(u) => query.bind(*u),
            Arg::F64(f) => query.bind(*f),
            Arg::I64(i) | Arg::Time(i) => query.bind(*i),
            Arg::UuidArray(_) | Arg::TextArray(_) | Arg::F64Array(_) | Arg::I64Array(_) | Arg::TimeArray(_) => {
                return Err(QueryError::Corrupt("an array argument on SQLite".into()))
            }
        };
    }
    Ok(query)
}

/// The PostgreSQL pools that plan `sql` as its [`Planning`] says.
fn pool_for<'p>(
    sql: &Sql,
    per_values: &'p ThreadPools<PgConnection>,
    generic: &'p ThreadPools<PgConnection>,
) -> &'p ThreadPools<PgConnection> {
    match sql.planning {
        Planning::Generic => generic,
        Planning::PerValues => per_values,
    }
}

/// Runs `sql` on PostgreSQL, on `lease` when the caller already holds one, else on a connection
/// of `pools` (the wait timed as `label`'s). A read on a connection that had served before and
/// turns out dead (an I/O error, or a FATAL the server sent when it ended the session:
/// connections are not tested before use) is read again on another, up to the pool's size.
pub(crate) async fn read_postgres(
    pools: &ThreadPools<PgConnection>,
    mut lease: Option<Lease<PgConnection>>,
    label: &'static str,
    sql: &Sql,
) -> Result<Vec<PgRow>, sqlx::Error> {
    let mut attempts = pools.size();
    loop {
        let mut connection = match lease.take() {
            Some(connection) => connection,
            None => {
                let started = Instant::now();
                let connection = pools.acquire().await?;
                record_wait(label, started.elapsed());
                connection
            }
        };
        let sent = Instant::now();
        let rows = within_timeout(bind_postgres(&sql.text, &sql.args).fetch_all(&mut *connection)).await;
        let again = connection.settle(&rows) && connection.reused();
        drop(connection);
        record_query(label, sent.elapsed());
        match rows {
            Err(error) if again && attempts > 0 => {
                tracing::warn!(%error, "a read-model connection had died; reading again on another");
                attempts -= 1;
            }
            rows => return rows,
        }
    }
}

/// How much of the SQLite read-model file the query API's connections map: all of it. Only the
/// file's length is mapped and only the pages read are resident; each connection's page table
/// grows with what it reads. The bundled SQLite caps this at 2 GiB unless built with a higher
/// `SQLITE_MAX_MMAP_SIZE` (`.cargo/config.toml` sets it).
pub const MMAP_BYTES: u64 = 1 << 40;

/// Longest a read-model statement may run; past it the read fails and its connection closes.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

async fn within_timeout<T>(
    statement: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(STATEMENT_TIMEOUT, statement)
        .await
        .unwrap_or_else(|_| Err(sqlx::Error::Protocol("a read-model statement timed out".into())))
}

fn record_timing(pool: &'static str, started: Instant, acquired: Instant) {
    record_wait(pool, acquired.duration_since(started));
    record_query(pool, acquired.elapsed());
}

/// How long a read waited before its statement was sent (`folio_read_db_wait_seconds`).
pub(crate) fn record_wait(pool: &'static str, waited: Duration) {
    metrics::histogram!("folio_read_db_wait_seconds", "pool" => pool).record(waited.as_secs_f64());
}

/// A statement's round trip (`folio_read_db_query_seconds`).
fn record_query(pool: &'static str, took: Duration) {
    metrics::histogram!("folio_read_db_query_seconds", "pool" => pool).record(took.as_secs_f64());
}

fn time_of(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

impl ReadDb {
    /// Reads with the connect options and acquire timeout of `pool`, through per-thread pools of
    /// its own ([`ThreadPools`]): one set planning per values, one whose connections plan
    /// generically, each of half `pool`'s size (at least one), so that a thread opens at most
    /// `pool`'s size. A connection is not tested before use: [`ReadDb::fetch`] reads again on
    /// another when one turns out dead.
    pub fn postgres(pool: PgPool) -> Self {
        let options = (*pool.connect_options()).clone();
        let size = (pool.options().get_max_connections() / 2).max(1);
        let timeout = pool.options().get_acquire_timeout();
        // Named, so that an operator sees in pg_stat_activity which connections are the reads'.
        let options = options.application_name("folio query");
        let generic = options.clone().options([("plan_cache_mode", "force_generic_plan")]);
        Self::Postgres {
            per_values: ThreadPools::new(options, size, timeout),
            generic: ThreadPools::new(generic, size, timeout),
            waiting: Arc::default(),
        }
    }

    /// Reads the SQLite file of `pool` (its connect options and acquire timeout) through
    /// per-thread pools of its own ([`ThreadPools`]) of half `pool`'s size (at least one).
    ///
    /// The read connections map the whole file ([`MMAP_BYTES`]): pages are read in place instead
    /// of copied through `pread` into each connection's own cache (mapping the first GiB took
    /// by_tag, whose rows are scattered, from 3,202 to 5,216 req/s on the quick data). They only
    /// read; an I/O error under a mapping is a SIGBUS instead of an error, the trade SQLite
    /// documents.
    pub fn sqlite(pool: &SqlitePool) -> Self {
        let options = (*pool.connect_options()).clone().pragma("mmap_size", MMAP_BYTES.to_string());
        let size = (pool.options().get_max_connections() / 2).max(1);
        Self::Sqlite(ThreadPools::new(options, size, pool.options().get_acquire_timeout()))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Postgres { .. } => Dialect::Postgres,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Closes every pool (see [`ThreadPools::close`]).
    pub fn close(&self) {
        match self {
            Self::Postgres { per_values, generic, .. } => {
                per_values.close();
                generic.close();
            }
            Self::Sqlite(pool) => pool.close(),
        }
    }

    /// Runs `sql`, timing the wait for a pooled connection and the statement's round trip apart
    /// (`folio_read_db_wait_seconds`, `folio_read_db_query_seconds`, by pool). A statement gets
    /// [`STATEMENT_TIMEOUT`]. On PostgreSQL see [`read_postgres`] (dead connections read again)
    /// and [`crate::gather`] (statements planned once).
    pub async fn fetch(&self, sql: &Sql) -> Result<Vec<AnyRow>, QueryError> {
        match self {
            Self::Postgres { per_values, waiting, generic } => {
                if sql.planning == Planning::Generic {
                    let gathered = crate::gather::fetch(generic, waiting, sql).await?;
                    let skip = gathered.skip;
                    return Ok(gathered.rows.into_iter().map(|row| AnyRow::Postgres { row, skip }).collect());
                }
                let rows = read_postgres(per_values, None, "postgres", sql).await?;
                Ok(rows.into_iter().map(|row| AnyRow::Postgres { row: Arc::new(row), skip: 0 }).collect())
            }
            Self::Sqlite(pool) => {
                let query = bind_sqlite(&sql.text, &sql.args)?;
                let started = Instant::now();
                let mut connection = pool.acquire().await?;
                let acquired = Instant::now();
                let rows = within_timeout(query.fetch_all(&mut *connection)).await;
                connection.settle(&rows);
                drop(connection);
                record_timing("sqlite", started, acquired);
                Ok(rows?.into_iter().map(AnyRow::Sqlite).collect())
            }
        }
    }

    /// The plan of `sql` as it runs, one line per node. On PostgreSQL sequential scans are
    /// priced out (`enable_seqscan = off`), so a `Seq Scan` left in the plan means no index can
    /// serve the statement, however small the tables are; a [`Planning::Generic`] statement
    /// shows its generic plan (prepared, then `EXPLAIN EXECUTE` on a generic connection).
    pub async fn explain(&self, sql: &Sql) -> Result<Vec<String>, QueryError> {
        match self {
            Self::Postgres { per_values, generic, .. } => {
                let mut connection = pool_for(sql, per_values, generic).acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *connection).await?;
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
                let rows = if sql.planning == Planning::Generic {
                    // Not `DEALLOCATE ALL`: the connection's statement cache holds prepared statements too.
                    let name = format!("folio_explain_{}", Uuid::now_v7().simple());
                    // The simple protocol: over the extended one the outer statement owns `$n`.
                    let prepare = format!("PREPARE {name} AS {}", sql.text);
                    sqlx::raw_sql(&prepare).execute(&mut *tx).await?;
                    // EXECUTE inside EXPLAIN takes no parameters of the outer statement: the values
                    // go in as literals (only partition pruning looks at them; the plan is generic).
                    let values: Vec<String> = sql.args.iter().map(crate::sql::postgres_literal).collect();
                    let arguments = if values.is_empty() { String::new() } else { format!("({})", values.join(", ")) };
                    let text = format!("EXPLAIN EXECUTE {name}{arguments}");
                    // Not kept in the connection's statement cache: the text is used once.
                    let rows = sqlx::query(&text).persistent(false).fetch_all(&mut *tx).await?;
                    sqlx::query(&format!("DEALLOCATE {name}")).persistent(false).execute(&mut *tx).await?;
                    rows
                } else {
                    bind_postgres(&format!("EXPLAIN {}", sql.text), &sql.args)
                        .persistent(false)
                        .fetch_all(&mut *tx)
                        .await?
                };
                tx.rollback().await?;
                connection.finished();
                rows.iter().map(|r| r.try_get::<String, _>(0).map_err(QueryError::from)).collect()
            }
            Self::Sqlite(pool) => {
                let text = format!("EXPLAIN QUERY PLAN {}", sql.text);
                let query = bind_sqlite(&text, &sql.args)?;
                let mut connection = pool.acquire().await?;
                let rows = query.fetch_all(&mut *connection).await?;
                connection.finished();
                rows.iter().map(|r| r.try_get::<String, _>(3).map_err(QueryError::from)).collect()
            }
        }
    }

    pub async fn execute(&self, sql: &Sql) -> Result<(), QueryError> {
        self.fetch(sql).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    /// The read connections map the whole file, past the 2 GiB the bundled SQLite allows unless
    /// built with a higher limit: SQLite lowers a larger `mmap_size` to its limit silently.
    #[tokio::test]
    async fn read_connections_may_map_past_two_gibibytes() {
        let path = std::env::temp_dir().join(format!("folio-mmap-{}.sqlite", Uuid::now_v7()));
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
        let db = ReadDb::sqlite(&pool);
        let mut sql = Sql::new(Dialect::Sqlite);
        sql.push("PRAGMA mmap_size");
        let rows = db.fetch(&sql).await.unwrap();
        let mapped = rows.first().unwrap().count(0).unwrap();
        db.close();
        pool.close().await;
        let _ = std::fs::remove_file(&path);
        assert_eq!(u64::try_from(mapped).unwrap(), MMAP_BYTES, "SQLITE_MAX_MMAP_SIZE is lower than MMAP_BYTES");
    }
}
