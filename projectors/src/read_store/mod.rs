//! The read-model database: PostgreSQL (cluster) or a SQLite file (embedded).
//!
//! Rules:
//! - Projections write only inside a [`ReadTx`] that the runner opens; the checkpoint is saved in
//!   the same transaction, so rows and checkpoint are never out of step.
//! - On SQLite every write transaction is `BEGIN IMMEDIATE`: a projection reads before it writes,
//!   and a deferred transaction that upgrades to a writer would fail instead of waiting.
//! - SQLite runs with `synchronous=NORMAL`: in WAL mode a crash may lose the last commits but
//!   never tears one, and rows and checkpoint are lost together, so the events are applied again.

mod checkpoints;

mod readiness;

pub use checkpoints::{CheckpointRow, ParkedEvent};
pub use readiness::ReadModelsReady;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction, TransactionManager};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The PostgreSQL schema of the read models.
pub const POSTGRES_SCHEMA: &str = "folio_read";

/// The read models' database. Cheap to clone (a pool).
#[derive(Debug, Clone)]
pub enum ReadStore {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// One projection transaction.
#[derive(Debug)]
pub enum ReadTx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl ReadStore {
    /// Connects to PostgreSQL and brings the schema up to date. The read models live in their
    /// own schema, [`POSTGRES_SCHEMA`], so they can share a database with the event store
    /// (each has its own migration history) and be dropped wholesale.
    pub async fn connect_postgres(url: &str, pool_size: u32) -> Result<Self, crate::RunnerError> {
        let options = PgConnectOptions::from_str(url)?.application_name("folio-read-models");
        Self::postgres_in_schema(options, pool_size, POSTGRES_SCHEMA).await
    }

    /// The read models' tables in `schema` (created if missing, migrated), connecting with
    /// `options`: a rebuild builds the next version of a projection this way, beside the live one.
    pub async fn postgres_in_schema(
        options: PgConnectOptions,
        pool_size: u32,
        schema: &str,
    ) -> Result<Self, crate::RunnerError> {
        let mut admin: sqlx::PgConnection = sqlx::Connection::connect_with(&options).await?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(&mut admin).await?;
        sqlx::Connection::close(admin).await?;
        let options = options.options([("search_path", schema)]);
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| Box::pin(infra::priority::on_postgres_connect(conn)))
            .connect_with(options)
            .await?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        Ok(Self::Postgres(pool))
    }

    /// Opens (creating if needed) the SQLite file and brings the schema up to date; another
    /// process creating the same file at the same moment is waited for.
    pub async fn open_sqlite(path: &Path) -> Result<Self, crate::RunnerError> {
        infra::sqlite_open::retrying(|| Self::try_open_sqlite(path, false)).await
    }

    /// As [`ReadStore::open_sqlite`], for the file a rebuild builds a next version in: only the
    /// rebuild writes it, in batches of thousands of events whose pages outgrow SQLite's default
    /// 2 MiB cache. Each connection gets a 256 MiB page cache (no spilling dirty pages to the
    /// WAL mid-transaction and reading them back) and checkpoints every 64 MiB of WAL instead of
    /// every 4 MiB (a page rewritten between two is copied once). Temp storage stays on disk:
    /// in memory it would also hold whole sorts (the merge of 20M staged views, an index build),
    /// which SQLite then never spills.
    pub async fn open_sqlite_for_rebuild(path: &Path) -> Result<Self, crate::RunnerError> {
        infra::sqlite_open::retrying(|| Self::try_open_sqlite(path, true)).await
    }

    async fn try_open_sqlite(path: &Path, rebuild: bool) -> Result<Self, crate::RunnerError> {
        let mut options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(false);
        if rebuild {
            options = options.pragma("cache_size", "-262144").pragma("wal_autocheckpoint", "16384");
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A task cancelled mid-query can leave its connection inside a transaction whose
            // rollback failed ("statements in progress"); such a connection is closed, not reused.
            .before_acquire(|conn, _| {
                let clean = <Sqlite as sqlx::Database>::TransactionManager::get_transaction_depth(conn) == 0;
                Box::pin(async move { Ok(clean) })
            })
            // ... and closed as soon as it comes back, not left idle in the pool: idle, it would
            // hold the file's write lock until it is next acquired, and every other writer would
            // wait out its busy timeout again and again (a projector test once stalled 2 minutes
            // so). The ping lets a rollback queued by a dropped transaction finish first.
            .after_release(|conn, _| {
                Box::pin(async move {
                    sqlx::Connection::ping(&mut *conn).await?;
                    Ok(<Sqlite as sqlx::Database>::TransactionManager::get_transaction_depth(conn) == 0)
                })
            })
            .connect_with(options)
            .await?;
        if let Err(error) = SQLITE_MIGRATIONS.run(&pool).await {
            pool.close().await;
            return Err(error.into());
        }
        Ok(Self::Sqlite(pool))
    }

    /// Opens a write transaction.
    ///
    /// On PostgreSQL it commits with `synchronous_commit = off`: a crash may lose the last
    /// projector commits, but rows and checkpoint are lost together (one transaction), so the
    /// events are applied again. Read models are rebuildable; the event store keeps its fsync.
    pub async fn begin(&self) -> Result<ReadTx, sqlx::Error> {
        Ok(match self {
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                ReadTx::Postgres(tx)
            }
            Self::Sqlite(pool) => ReadTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }
}

impl ReadTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Postgres(tx) => tx.commit().await,
            Self::Sqlite(tx) => tx.commit().await,
        }
    }
}
