//! `folio serve`: the embedded profile, every role in one process on one port.

use crate::cli::{CommandApiArgs, ServeArgs};
use crate::error::CliError;
use crate::read::Projectors;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use infra::http::health::{EventStoreReady, Readiness};
use infra::EventStore;
use projectors::{ChangeNotice, Notifier, ReadStore, RunnerConfig};
use query_api::{QueryConfig, QueryState};
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

/// A built, bound, not yet running server. Tests bind port 0 and read [`Application::port`].
pub struct Application {
    port: u16,
    server: Server,
    store: Arc<dyn EventStore>,
    read: Option<(ReadStore, Notifier, Projectors)>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(args: &ServeArgs) -> Result<Self, CliError> {
        let store = crate::store::open(&args.store).await?;
        if args.demo {
            seed_demo(store.clone()).await?;
        }
        let read = crate::read::open(&args.read, &args.store).await?;
        let runner = crate::read::runner_config(&args.read);
        let (api, read) = (&args.api, Some((read, args.query.config(), runner)));
        Self::assemble(&api.host, api.port, store, api.limits(), read).await
    }

    /// Every role in one process: the command API, the query API over `read`, and every
    /// projector tailing the event store into `read`.
    pub async fn with_read_models(
        host: &str,
        port: u16,
        store: Arc<dyn EventStore>,
        read: ReadStore,
        query: QueryConfig,
        runner: RunnerConfig,
    ) -> Result<Self, CliError> {
        Self::assemble(host, port, store, command_api::http::Limits::default(), Some((read, query, runner))).await
    }

    /// The command API alone (no read side).
    pub fn with_store(host: &str, port: u16, store: Arc<dyn EventStore>) -> Result<Self, CliError> {
        Self::server(host, port, store, command_api::http::Limits::default(), None)
    }

    async fn assemble(
        host: &str,
        port: u16,
        store: Arc<dyn EventStore>,
        limits: command_api::http::Limits,
        read: Option<(ReadStore, QueryConfig, RunnerConfig)>,
    ) -> Result<Self, CliError> {
        let Some((read, query, runner)) = read else { return Self::server(host, port, store, limits, None) };
        let notifier = Notifier::local(1024);
        let state = crate::query::state(&read, query).await?;
        // Subscribed before any projector starts, so no notice is missed.
        if let Some(notices) = notifier.subscribe() {
            crate::query::follow_local(state.clone(), notices);
        }
        let mut app = Self::server(host, port, store, limits, Some((state, read.clone())))?;
        let running = Projectors::embedded(app.store.clone(), &read, notifier.clone(), runner).await?;
        app.read = Some((read, notifier, running));
        Ok(app)
    }

    /// The read models, when projectors run in this process.
    pub fn read_store(&self) -> Option<&ReadStore> {
        self.read.as_ref().map(|(read, _, _)| read)
    }

    /// Change notices of this process's projectors.
    pub fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<ChangeNotice>> {
        self.read.as_ref().and_then(|(_, notifier, _)| notifier.subscribe())
    }

    fn server(
        host: &str,
        port: u16,
        store: Arc<dyn EventStore>,
        limits: command_api::http::Limits,
        read: Option<(web::Data<QueryState>, ReadStore)>,
    ) -> Result<Self, CliError> {
        let mut readiness = Readiness::default().with(Arc::new(EventStoreReady(store.clone())));
        if let Some((_, read)) = &read {
            readiness = readiness.with(Arc::new(projectors::read_store::ReadModelsReady(read.clone())));
        }
        let readiness = web::Data::new(readiness);
        crate::metrics::handle();
        let exporter = web::Data::new(crate::metrics::Exporter {
            store: Some(store.clone()),
            read: read.as_ref().map(|(_, r)| r.clone()),
            query: read.as_ref().map(|(q, _)| q.clone()),
        });
        let query = read.map(|(state, _)| state);
        let address = format!("{host}:{port}");
        let bind_error = |source| CliError::Bind { address: address.clone(), source };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let commands = command_api::http::CommandState::new(store.clone());
        // The command side's cache of keys and items stays true by following the log.
        tokio::spawn(commands.clone().follow());
        let commands = web::Data::new(commands);
        let document = web::Data::new(crate::docs::Document::build());
        let shared = store.clone();
        let store = web::Data::new(store);
        let server = HttpServer::new(move || {
            let query = query.clone();
            App::new()
                .wrap(actix_web::middleware::from_fn(infra::http::metrics::record))
                .wrap(actix_web::middleware::from_fn(infra::http::request_id::assign))
                .app_data(store.clone())
                .app_data(exporter.clone())
                .configure(crate::metrics::configure)
                .app_data(commands.clone())
                .app_data(document.clone())
                .app_data(readiness.clone())
                .configure(crate::docs::configure)
                .configure(query_api::configure_health)
                // Reads first: a site's traffic is mostly reads, and every route tried before
                // the one that matches costs a regular expression.
                .configure(move |config| {
                    if let Some(query) = query {
                        config.app_data(query);
                        query_api::http::configure(config);
                    }
                })
                .configure(command_api::http::configure(limits))
                .default_service(web::to(infra::http::no_route))
        })
        .listen(listener)
        .map_err(bind_error)?
        .run();
        Ok(Self { port, server, store: shared, read: None })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts publishing scheduled items every `every` in the background.
    pub fn start_scheduler(&self, every: std::time::Duration) {
        tokio::spawn(command_api::scheduler::Scheduler::new(self.store.clone()).run(every));
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests finish first, then each projector
    /// commits its current batch.
    pub async fn run_until_stopped(self) -> Result<(), CliError> {
        let served = self.server.await.map_err(CliError::Server);
        if let Some((read, _, running)) = self.read {
            running.stop().await?;
            read.close().await;
        }
        served
    }
}

/// Imports the demo blog (idempotent: events already stored are skipped).
async fn seed_demo(store: Arc<dyn EventStore>) -> Result<(), CliError> {
    let events = crate::seed::demo::events()?;
    let total = events.len() as u64;
    let hidden = indicatif::ProgressBar::hidden();
    let report = crate::seed::run::import_all(store, events.into_iter().map(Ok), total, 10_000, hidden).await?;
    tracing::info!(imported = report.imported, already_stored = report.skipped, "demo blog ready");
    Ok(())
}

pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let app = Application::build(&args).await?;
    if let Some(every) = args.api.scheduler_every() {
        app.start_scheduler(every);
    }
    let url = format!("http://{}:{}", args.api.host, app.port());
    tracing::info!(%url, data_dir = %args.store.data_dir.display(), "folio serve is listening");
    // The one line a person (or a script) needs: where to point curl.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Folio is running at {url}  (try: curl {url}/healthz)");
    if args.demo {
        let _ = writeln!(
            out,
            "  the demo blog, newest first:  curl '{url}/v1/content/article?limit=3&fields=title,author,tags'"
        );
        let _ = writeln!(out, "  search:                       curl '{url}/v1/content/article?q=rust'");
        let _ = writeln!(out, "  the API:                      {url}/docs");
    }
    drop(out);
    app.run_until_stopped().await
}

/// `folio command-api`: the cluster's write side alone, until SIGTERM/SIGINT.
pub async fn command_api(args: CommandApiArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let app = Application::server(&args.api.host, args.api.port, store, args.api.limits(), None)?;
    if let Some(every) = args.api.scheduler_every() {
        app.start_scheduler(every);
    }
    let url = format!("http://{}:{}", args.api.host, app.port());
    tracing::info!(%url, "folio command-api is listening");
    let _ = writeln!(std::io::stdout().lock(), "Folio command API at {url}");
    app.run_until_stopped().await
}
