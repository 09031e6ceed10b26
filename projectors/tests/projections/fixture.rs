//! A fresh event store and read store per test (SQLite files in a temp dir, or new PostgreSQL
//! databases that are dropped afterwards), and a way to drain every projection without sleeping.

use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use projectors::feed::SharedLog;
use projectors::{all_projections, Projection, ReadStore, Runner, RunnerConfig, StoreFeed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn store_config() -> StoreConfig {
    StoreConfig { poll_interval: Duration::from_millis(200), ..StoreConfig::default() }
}

pub fn runner_config() -> RunnerConfig {
    RunnerConfig {
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RunnerConfig::default()
    }
}

enum Kind {
    Sqlite { dir: tempfile::TempDir },
    Postgres { databases: Mutex<Vec<TestDatabase>> },
}

pub struct Fixture {
    pub store: Arc<dyn EventStore>,
    pub read: ReadStore,
    kind: Kind,
}

impl Fixture {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteEventStore::open(&dir.path().join("events.sqlite"), store_config()).await.unwrap();
        let read = ReadStore::open_sqlite(&dir.path().join("read.sqlite")).await.unwrap();
        Self { store: Arc::new(store), read, kind: Kind::Sqlite { dir } }
    }

    pub async fn postgres() -> Self {
        let database = TestDatabase::create().await;
        let store = PostgresEventStore::connect(&database.url, store_config()).await.unwrap();
        let read = ReadStore::connect_postgres(&database.url, 4).await.unwrap();
        Self { store: Arc::new(store), read, kind: Kind::Postgres { databases: Mutex::new(vec![database]) } }
    }

    /// Another, empty read store of the same backend (for a clean rebuild to compare with).
    pub async fn another_read_store(&self) -> ReadStore {
        match &self.kind {
            Kind::Sqlite { dir } => {
                let path = dir.path().join(format!("read-{}.sqlite", uuid::Uuid::now_v7().simple()));
                ReadStore::open_sqlite(&path).await.unwrap()
            }
            Kind::Postgres { databases } => {
                let database = TestDatabase::create().await;
                let read = ReadStore::connect_postgres(&database.url, 4).await.unwrap();
                databases.lock().unwrap().push(database);
                read
            }
        }
    }

    pub async fn runner(&self, read: &ReadStore, projection: Arc<dyn Projection>) -> Runner {
        let feed = Box::new(StoreFeed::new(self.store.clone()));
        Runner::new(projection, read.clone(), feed, None, runner_config()).await.unwrap()
    }

    /// Applies everything in the log to every projection of `read`.
    pub async fn drain_into(&self, read: &ReadStore) {
        let head = self.store.head().await.unwrap();
        for projection in all_projections() {
            let mut runner = self.runner(read, projection).await;
            assert_eq!(runner.run_until(head).await.unwrap(), head);
        }
    }

    /// Like `drain_into`, with one shared read of the log for every projection.
    pub async fn drain_shared_into(&self, read: &ReadStore) {
        let head = self.store.head().await.unwrap();
        let projections = all_projections();
        let mut lowest = u64::MAX;
        for p in &projections {
            lowest = lowest.min(read.checkpoint(p.name()).await.unwrap());
        }
        let feeds = SharedLog::start(self.store.clone(), &projections, lowest, 7, Duration::from_millis(1));
        let mut tasks = Vec::new();
        for (projection, feed) in projections.into_iter().zip(feeds) {
            let config = RunnerConfig { batch_size: 5, ..runner_config() };
            let mut runner = Runner::new(projection, read.clone(), Box::new(feed), None, config).await.unwrap();
            tasks.push(tokio::spawn(async move { runner.run_until(head).await.unwrap() }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), head);
        }
    }

    pub async fn drain(&self) {
        self.drain_into(&self.read).await;
    }

    pub async fn cleanup(self) {
        self.read.close().await;
        drop(self.store);
        if let Kind::Postgres { databases } = self.kind {
            for database in databases.into_inner().unwrap() {
                database.drop_now().await;
            }
        }
    }
}
