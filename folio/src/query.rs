//! The query API's wiring: its state over the read models, the change notices that keep its
//! caches true (in-process or over NATS), and the `folio query-api` cluster role.

use crate::cli::QueryApiArgs;
use crate::error::CliError;
use crate::read::{connect_nats, shutdown_signal};
use actix_web::{web, App, HttpServer};
use futures_util::StreamExt;
use infra::http::health::Readiness;
use projectors::{ChangeNotice, ReadStore};
use query_api::{QueryConfig, QueryState, ReadDb};
use std::io::Write;
use std::sync::Arc;
use tokio::sync::broadcast;

pub fn read_db(read: &ReadStore) -> ReadDb {
    match read {
        ReadStore::Postgres(pool) => ReadDb::postgres(pool.clone()),
        ReadStore::Sqlite(pool) => ReadDb::sqlite(pool),
    }
}

pub async fn state(read: &ReadStore, config: QueryConfig) -> Result<web::Data<QueryState>, CliError> {
    Ok(web::Data::new(QueryState::open(read_db(read), config).await?))
}

/// Applies in-process notices until the sender goes; a receiver that fell behind forgets
/// everything it cached (it cannot know what it missed).
pub fn follow_local(state: web::Data<QueryState>, mut notices: broadcast::Receiver<ChangeNotice>) {
    tokio::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(notice) => state.notice(&notice),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "change notices missed; clearing the query caches");
                    state.missed_notices();
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// Applies notices from core NATS. Core NATS may drop messages while disconnected, so every
/// reconnection clears the caches.
pub async fn follow_nats(state: web::Data<QueryState>, client: async_nats::Client) -> Result<(), CliError> {
    let subject = format!("{}.>", projectors::notices::SUBJECT_PREFIX);
    let mut subscription = client.subscribe(subject).await.map_err(|e| CliError::Subscribe(e.to_string()))?;
    let watcher_state = state.clone();
    let watcher = client.clone();
    tokio::spawn(async move {
        let mut was_connected = true;
        loop {
            let connected = watcher.connection_state() == async_nats::connection::State::Connected;
            if connected != was_connected {
                tracing::warn!(connected, "NATS connection changed; clearing the query caches");
                watcher_state.missed_notices();
                was_connected = connected;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            match serde_json::from_slice::<ChangeNotice>(&message.payload) {
                Ok(notice) => state.notice(&notice),
                Err(error) => {
                    tracing::warn!(%error, "unreadable change notice; clearing the query caches");
                    state.missed_notices();
                }
            }
        }
    });
    Ok(())
}

/// `folio query-api`: serves reads until SIGTERM/SIGINT.
pub async fn run(args: QueryApiArgs) -> Result<(), CliError> {
    let read = crate::read::open(&args.read, &args.store).await?;
    let client = connect_nats(&args.nats.nats_url).await?;
    let state = state(&read, args.query.config()).await?;
    follow_nats(state.clone(), client.clone()).await?;
    let readiness = web::Data::new(
        Readiness::default()
            .with(Arc::new(projectors::read_store::ReadModelsReady(read.clone())))
            .with(Arc::new(crate::ops::NatsReady(client))),
    );
    let address = format!("{}:{}", args.host, args.port);
    let bind_error = |source| CliError::Bind { address: address.clone(), source };
    let listener = std::net::TcpListener::bind(&address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    let document = web::Data::new(crate::docs::Document::build());
    crate::metrics::handle();
    let exporter =
        web::Data::new(crate::metrics::Exporter { store: None, read: Some(read.clone()), query: Some(state.clone()) });
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(infra::http::metrics::record))
            .wrap(actix_web::middleware::from_fn(infra::http::request_id::assign))
            .app_data(exporter.clone())
            .configure(crate::metrics::configure)
            .app_data(state.clone())
            .app_data(document.clone())
            .app_data(readiness.clone())
            .configure(crate::docs::configure)
            .configure(query_api::configure_health)
            .configure(query_api::http::configure)
            .default_service(web::to(infra::http::no_route))
    })
    .listen(listener)
    .map_err(bind_error)?
    .shutdown_timeout(30)
    .run();
    let url = format!("http://{}:{port}", args.host);
    tracing::info!(%url, "folio query-api is listening");
    let _ = writeln!(std::io::stdout().lock(), "Folio query API at {url}");
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        handle.stop(true).await;
    });
    server.await.map_err(CliError::Server)?;
    read.close().await;
    Ok(())
}
