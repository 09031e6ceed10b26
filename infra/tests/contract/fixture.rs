//! A fresh, empty event store per test: a temporary SQLite file, or a new PostgreSQL database
//! (created on the server from `FOLIO_TEST_PG_URL`, default: scripts/dev-up's) that is dropped
//! afterwards. A missing PostgreSQL fails the test loudly; it is never skipped.

use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::{EventStore, StoreConfig};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_PG_URL: &str = "postgres://folio:folio@127.0.0.1:55432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("FOLIO_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

pub fn config() -> StoreConfig {
    StoreConfig { poll_interval: Duration::from_millis(200), ..StoreConfig::default() }
}

enum Kind {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf },
    Postgres { admin_url: String, url: String, database: String },
}

pub struct Fixture {
    pub store: Arc<dyn EventStore>,
    kind: Kind,
}

fn database_url(admin_url: &str, database: &str) -> String {
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    format!("{base}/{database}")
}

impl Fixture {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.sqlite");
        let store = SqliteEventStore::open(&path, config()).await.unwrap();
        Self { store: Arc::new(store), kind: Kind::Sqlite { _dir: dir, path } }
    }

    pub async fn postgres() -> Self {
        let admin_url = pg_admin_url();
        let database = format!("folio_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it with scripts/dev-up")
        });
        sqlx::query(&format!("CREATE DATABASE {database}")).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let url = database_url(&admin_url, &database);
        let store = PostgresEventStore::connect(&url, config()).await.unwrap();
        Self { store: Arc::new(store), kind: Kind::Postgres { admin_url, url, database } }
    }

    /// `n` handles for concurrent writers. SQLite has one writer by design, so they share it;
    /// on PostgreSQL each is a separate store with its own connections and writer, as separate
    /// processes would be, so their transactions really interleave.
    pub async fn writers(&self, n: usize) -> Vec<Arc<dyn EventStore>> {
        match &self.kind {
            Kind::Sqlite { .. } => (0..n).map(|_| self.store.clone()).collect(),
            Kind::Postgres { url, .. } => {
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
            Kind::Postgres { url, .. } => Arc::new(PostgresEventStore::connect(url, config()).await.unwrap()),
        }
    }

    pub async fn cleanup(self) {
        drop(self.store);
        if let Kind::Postgres { admin_url, database, .. } = self.kind {
            let mut admin = PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).execute(&mut admin).await.unwrap();
        }
    }
}
