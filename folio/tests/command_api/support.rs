//! A running `folio serve` app on a random port over a fresh store (SQLite file or a new
//! PostgreSQL database), with an admin key bootstrapped the way `folio keys create` does it.

use events::payloads::Role;
use events::{EventId, ExpectedVersion, Metadata, RecordedEvent, StreamId};
use folio::serve::Application;
use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use projectors::{ChangeNotice, ReadStore, RunnerConfig};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast;

pub struct TestApp {
    pub url: String,
    pub store: Arc<dyn EventStore>,
    /// The read models, when this app runs its projectors (`with_read_models`).
    pub read: Option<ReadStore>,
    notices: Option<broadcast::Receiver<ChangeNotice>>,
    pub admin: String,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    database: Option<TestDatabase>,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_app(false, true).await
    }

    pub async fn postgres() -> Self {
        Self::postgres_app(false, true).await
    }

    /// As `folio serve` runs: the command API and every projector, in one process.
    pub async fn with_read_models(postgres: bool) -> Self {
        Self::with_read_models_and_cache(postgres, true).await
    }

    /// As [`TestApp::with_read_models`], with the query API's response cache on or off (every
    /// read then goes to the database).
    pub async fn with_read_models_and_cache(postgres: bool, cache: bool) -> Self {
        if postgres {
            Self::postgres_app(true, cache).await
        } else {
            Self::sqlite_app(true, cache).await
        }
    }

    async fn sqlite_app(read_models: bool, cache: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteEventStore::open(&dir.path().join("events.sqlite"), StoreConfig::default()).await.unwrap();
        let read = match read_models {
            true => Some(ReadStore::open_sqlite(&dir.path().join("read.sqlite")).await.unwrap()),
            false => None,
        };
        Self::start(Arc::new(store), Some(dir), None, read, cache).await
    }

    async fn postgres_app(read_models: bool, cache: bool) -> Self {
        let database = TestDatabase::create().await;
        let store = PostgresEventStore::connect(&database.url, StoreConfig::default()).await.unwrap();
        let read = match read_models {
            true => Some(ReadStore::connect_postgres(&database.url, 4).await.unwrap()),
            false => None,
        };
        Self::start(Arc::new(store), None, Some(database), read, cache).await
    }

    async fn start(
        store: Arc<dyn EventStore>,
        dir: Option<tempfile::TempDir>,
        database: Option<TestDatabase>,
        read: Option<ReadStore>,
        cache: bool,
    ) -> Self {
        let defaults = query_api::QueryConfig::default();
        let admin = issue_key(store.as_ref(), Role::Admin).await;
        let app = match &read {
            Some(read) => Application::with_read_models(
                "127.0.0.1",
                0,
                store.clone(),
                read.clone(),
                query_api::QueryConfig {
                    min_position_timeout: std::time::Duration::from_secs(1),
                    cache_bytes: if cache { defaults.cache_bytes } else { 0 },
                    ..defaults
                },
                RunnerConfig::default(),
            )
            .await
            .unwrap(),
            None => Application::with_store("127.0.0.1", 0, store.clone()).unwrap(),
        };
        let notices = app.notices();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self { url, store, read, notices, admin, client: reqwest::Client::new(), _dir: dir, database }
    }

    /// Waits (on change notices, never a fixed sleep) until every projection has applied
    /// `position`. Gives up after 30 s: a projector that stalls fails the test.
    pub async fn wait_for_projections(&self, position: u64) {
        let read = self.read.as_ref().expect("this app runs no projectors");
        let mut notices = self.notices.as_ref().unwrap().resubscribe();
        let caught_up = async {
            loop {
                let mut behind = false;
                for projection in projectors::all_projections() {
                    behind |= read.checkpoint(projection.name()).await.unwrap() < position;
                }
                if !behind {
                    return;
                }
                let _ = notices.recv().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), caught_up).await.expect("projectors stalled");
    }

    /// Waits until every projection's runner has started, that is, recorded itself `running`.
    /// A runner does so once, as it starts; a state a test sets before that would be overwritten.
    pub async fn wait_for_runners_to_start(&self) {
        let read = self.read.as_ref().expect("this app runs no projectors");
        let started = async {
            loop {
                let rows = read.checkpoints().await.unwrap();
                let running = |name: &str| rows.iter().any(|row| row.projection == name && row.state == "running");
                if projectors::all_projections().iter().all(|projection| running(projection.name())) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), started).await.expect("projectors never started");
    }

    /// Another `folio serve` over the same store, as a second process would be; returns its URL.
    pub fn second_process(&self) -> String {
        let app = Application::with_store("127.0.0.1", 0, self.store.clone()).unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        url
    }

    /// The `folio` options that name this app's stores (for running the binary against them).
    pub fn store_args(&self) -> Vec<String> {
        match (&self._dir, &self.database) {
            (Some(dir), _) => vec!["--data-dir".into(), dir.path().display().to_string()],
            (None, Some(database)) => vec!["--database-url".into(), database.url.clone()],
            (None, None) => Vec::new(),
        }
    }

    pub async fn cleanup(self) {
        if let Some(read) = &self.read {
            read.close().await;
        }
        drop(self.store);
        if let Some(database) = self.database {
            database.drop_now().await;
        }
    }

    pub async fn key(&self, role: Role) -> String {
        issue_key(self.store.as_ref(), role).await
    }

    /// Sends `method path` with an optional bearer key and JSON body.
    pub async fn send(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn raw(&self, request: reqwest::RequestBuilder) -> Reply {
        reply(request.send().await.unwrap()).await
    }

    pub async fn head(&self) -> u64 {
        self.store.head().await.unwrap()
    }

    pub async fn stream(&self, stream: &str) -> Vec<RecordedEvent> {
        self.store.read_stream(&StreamId::parse(stream).unwrap(), 1, 1000).await.unwrap()
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Reply { status, headers, body }
}

/// What `folio keys create` does: issue a key straight into the store.
pub async fn issue_key(store: &dyn EventStore, role: Role) -> String {
    let key_id = uuid::Uuid::now_v7();
    let (event, key) = command_api::keys::issue(key_id, role, None, command_api::http::random_secret().unwrap());
    let event = event.to_new_event(EventId::now_v7(), Metadata::default()).unwrap();
    store.append(command_api::keys::stream(key_id).unwrap(), ExpectedVersion::NoStream, vec![event]).await.unwrap();
    key
}

impl Reply {
    /// Asserts a problem+json error with this status and code.
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!((self.status, self.body["code"].as_str()), (status, Some(code)), "body: {}", self.body);
        let content_type = self.headers.get("content-type").unwrap().to_str().unwrap();
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(self.body["status"], status);
        self
    }
}
