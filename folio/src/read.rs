//! Opens the read models' store the options name, and runs projectors on it.

use crate::cli::{ReadArgs, StoreArgs};
use crate::error::CliError;
use infra::EventStore;
use projectors::feed::{SharedFeed, SharedLog};
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

    /// Embedded: every projection reads one shared tail of the event store.
    pub async fn embedded(
        store: Arc<dyn EventStore>,
        read: &ReadStore,
        notifier: Notifier,
        config: RunnerConfig,
    ) -> Result<Self, CliError> {
        let projections = all_projections();
        let mut lowest = u64::MAX;
        for projection in &projections {
            lowest = lowest.min(read.checkpoint(projection.name()).await.map_err(projectors::RunnerError::from)?);
        }
        let feeds = SharedLog::start(store, &projections, lowest, config.batch_size, config.linger);
        let feeds = SharedFeeds(projections.iter().map(|p| p.name()).zip(feeds).collect());
        Self::start(projections, read, notifier, config, feeds).await
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

/// The feeds of one shared read of the event log (embedded profile), by projection.
#[derive(Debug)]
pub struct SharedFeeds(Vec<(&'static str, SharedFeed)>);

#[async_trait::async_trait]
impl AsyncFeedFactory for SharedFeeds {
    async fn make(&mut self, projection: &str) -> Result<Box<dyn Feed>, CliError> {
        let index = self.0.iter().position(|(name, _)| *name == projection);
        let (_, feed) = self.0.remove(index.ok_or_else(|| CliError::UnknownProjection(projection.to_owned()))?);
        Ok(Box::new(feed))
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
        Ok(Box::new(projectors::feed::JetStreamFeed::new(
            self.client.clone(),
            self.store.clone(),
            projection,
            self.batch,
        )))
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
