//! Opens the read models' store the options name, and runs projectors on it.

use crate::cli::{ReadArgs, StoreArgs};
use crate::error::CliError;
use infra::EventStore;
use projectors::{all_projections, Feed, Notifier, Projection, ReadStore, Runner, RunnerConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The embedded profile's read-model file inside the data dir.
pub const SQLITE_FILE: &str = "read.sqlite";

pub async fn open(read: &ReadArgs, store: &StoreArgs) -> Result<ReadStore, CliError> {
    match read.read_database_url.as_ref().or(store.database_url.as_ref()) {
        Some(url) => Ok(ReadStore::connect_postgres(url, read.read_pool_size).await?),
        None => {
            std::fs::create_dir_all(&store.data_dir)
                .map_err(|source| CliError::DataDir { path: store.data_dir.display().to_string(), source })?;
            Ok(ReadStore::open_sqlite(&store.data_dir.join(SQLITE_FILE)).await?)
        }
    }
}

pub fn runner_config(read: &ReadArgs) -> RunnerConfig {
    RunnerConfig {
        batch_size: read.projector_batch as usize,
        linger: Duration::from_millis(read.projector_linger_ms),
        ..RunnerConfig::default()
    }
}

/// The projections named (all when `names` is empty).
pub fn projections(names: &[String]) -> Result<Vec<Arc<dyn Projection>>, CliError> {
    let all = all_projections();
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|name| {
            all.iter().find(|p| p.name() == name).cloned().ok_or_else(|| CliError::UnknownProjection(name.clone()))
        })
        .collect()
}

/// Running projectors; [`Projectors::stop`] lets each finish its batch and returns.
#[derive(Debug)]
pub struct Projectors {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), projectors::RunnerError>>>,
}

impl Projectors {
    /// Starts one runner per projection, each on the feed `feed` makes for it.
    pub async fn start<F>(
        projections: Vec<Arc<dyn Projection>>,
        read: &ReadStore,
        notifier: Notifier,
        config: RunnerConfig,
        mut feed: F,
    ) -> Result<Self, CliError>
    where
        F: AsyncFeedFactory,
    {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::with_capacity(projections.len());
        for projection in projections {
            let source = feed.make(projection.name()).await?;
            let runner = Runner::new(projection, read.clone(), source, Some(notifier.clone()), config).await?;
            tasks.push(tokio::spawn(runner.run(stopped.clone())));
        }
        Ok(Self { stop, tasks })
    }

    /// Embedded: every projection tails the event store.
    pub async fn embedded(
        store: Arc<dyn EventStore>,
        read: &ReadStore,
        notifier: Notifier,
        config: RunnerConfig,
    ) -> Result<Self, CliError> {
        Self::start(all_projections(), read, notifier, config, StoreFeeds(store)).await
    }

    /// Asks every runner to stop after its current batch and waits for them.
    pub async fn stop(self) -> Result<(), CliError> {
        let _ = self.stop.send(true);
        for task in self.tasks {
            match task.await {
                Ok(result) => result?,
                Err(error) => tracing::error!(%error, "a projector task panicked"),
            }
        }
        Ok(())
    }
}

/// Makes the feed of one projection.
#[async_trait::async_trait]
pub trait AsyncFeedFactory: Send {
    async fn make(&mut self, projection: &str) -> Result<Box<dyn Feed>, CliError>;
}

/// Feeds that tail the event store (embedded profile).
#[derive(Clone)]
#[allow(missing_debug_implementations)] // an event store is not Debug
pub struct StoreFeeds(pub Arc<dyn EventStore>);

#[async_trait::async_trait]
impl AsyncFeedFactory for StoreFeeds {
    async fn make(&mut self, _projection: &str) -> Result<Box<dyn Feed>, CliError> {
        Ok(Box::new(projectors::StoreFeed::new(self.0.clone())))
    }
}

/// Durable JetStream consumers, one per projection (cluster profile).
#[allow(missing_debug_implementations)] // an event store is not Debug
pub struct JetStreamFeeds {
    pub client: async_nats::Client,
    pub store: Arc<dyn EventStore>,
    pub batch: usize,
}

#[async_trait::async_trait]
impl AsyncFeedFactory for JetStreamFeeds {
    async fn make(&mut self, projection: &str) -> Result<Box<dyn Feed>, CliError> {
        let feed =
            projectors::feed::JetStreamFeed::new(self.client.clone(), self.store.clone(), projection, self.batch)
                .await
                .map_err(projectors::RunnerError::Feed)?;
        Ok(Box::new(feed))
    }
}

pub async fn connect_nats(url: &str) -> Result<async_nats::Client, CliError> {
    async_nats::ConnectOptions::new()
        .name("folio")
        .retry_on_initial_connect()
        .connect(url)
        .await
        .map_err(|source| CliError::Nats { url: url.to_owned(), source })
}

/// Resolves when SIGTERM or SIGINT arrives.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
