//! A fresh, empty event store per test: a temporary SQLite file, or a new PostgreSQL database
//! (created on the server from `FOLIO_TEST_PG_URL`, default: scripts/dev-up's) that is dropped
//! afterwards. A missing PostgreSQL fails the test loudly; it is never skipped.

use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use sqlx::postgres::PgPoolOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub fn config() -> StoreConfig {
    StoreConfig { poll_interval: Duration::from_millis(200), ..StoreConfig::default() }
}

enum Kind {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf },
    Postgres { database: TestDatabase },
}

pub struct Fixture {
    pub store: Arc<dyn EventStore>,
    kind: Kind,
}

impl Fixture {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.sqlite");
        let store = SqliteEventStore::open(&path, config()).await.unwrap();
        Self { store: Arc::new(store), kind: Kind::Sqlite { _dir: dir, path } }
    }

    pub async fn postgres() -> Self {
        let database = TestDatabase::create().await;
        let store = PostgresEventStore::connect(&database.url, config()).await.unwrap();
        Self { store: Arc::new(store), kind: Kind::Postgres { database } }
    }

    /// `n` handles for concurrent writers. SQLite has one writer by design, so they share it;
    /// on PostgreSQL each is a separate store with its own connections and writer, as separate
    /// processes would be, so their transactions really interleave.
    pub async fn writers(&self, n: usize) -> Vec<Arc<dyn EventStore>> {
        match &self.kind {
            Kind::Sqlite { .. } => (0..n).map(|_| self.store.clone()).collect(),
            Kind::Postgres { database } => {
                let url = &database.url;
                let mut writers: Vec<Arc<dyn EventStore>> = Vec::with_capacity(n);
                for _ in 0..n {
                    let pool = PgPoolOptions::new().max_connections(2).connect(url).await.unwrap();
                    writers.push(Arc::new(PostgresEventStore::with_pool(pool, config()).await.unwrap()));
                }
                writers
            }
        }
    }

    /// A new store instance over the same data, as after a restart.
    pub async fn reopen(&self) -> Arc<dyn EventStore> {
        match &self.kind {
            Kind::Sqlite { path, .. } => Arc::new(SqliteEventStore::open(path, config()).await.unwrap()),
            Kind::Postgres { database } => {
                Arc::new(PostgresEventStore::connect(&database.url, config()).await.unwrap())
            }
        }
    }

    /// Whether the backend takes an import into an empty store in one transaction
    /// (`EventStore::import_into_empty`): PostgreSQL does, SQLite declines.
    pub fn imports_into_empty_in_one_transaction(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// On PostgreSQL, waits until some transaction holds `folio_events` exclusively (an import
    /// into the empty store has begun); on SQLite, returns at once.
    pub async fn wait_for_the_log_locked(&self) {
        let Kind::Postgres { database } = &self.kind else { return };
        let pool = PgPoolOptions::new().max_connections(1).connect(&database.url).await.unwrap();
        let sql = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'folio_events'::regclass \
                   AND mode = 'AccessExclusiveLock' AND granted)";
        for _ in 0..200 {
            if sqlx::query_scalar::<_, bool>(sql).fetch_one(&pool).await.unwrap() {
                pool.close().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no transaction locked folio_events within 10 s");
    }

    /// How the event log's indexes are defined, sorted: to show they are all back after an
    /// import that dropped them.
    pub async fn index_definitions(&self) -> Vec<String> {
        let mut definitions: Vec<String> = match &self.kind {
            Kind::Sqlite { path, .. } => {
                let url = format!("sqlite://{}", path.display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let sql = "SELECT coalesce(sql, name) FROM sqlite_master WHERE tbl_name = 'folio_events'";
                let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
            Kind::Postgres { database } => {
                let pool = PgPoolOptions::new().max_connections(1).connect(&database.url).await.unwrap();
                let sql = "SELECT i.indexdef || coalesce(' ' || c.contype::text, '') FROM pg_indexes i \
                           LEFT JOIN pg_constraint c ON c.conname = i.indexname \
                           WHERE i.tablename = 'folio_events'";
                let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
        };
        definitions.sort();
        definitions
    }

    pub async fn cleanup(self) {
        drop(self.store);
        if let Kind::Postgres { database } = self.kind {
            database.drop_now().await;
        }
    }
}
