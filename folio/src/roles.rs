//! The cluster profile's background roles: `folio relay` and `folio projector`.

use crate::cli::{ProjectorArgs, RelayArgs};
use crate::error::CliError;
use crate::metrics::Exporter;
use crate::ops::{NatsReady, Ops};
use crate::read::{connect_nats, shutdown_signal, JetStreamFeeds, Projectors};
use infra::http::health::{EventStoreReady, Readiness};
use projectors::relay::{Relay, RelayConfig};
use projectors::Notifier;
use std::sync::Arc;
use tokio::sync::watch;

/// The relay's operations port unless `--port` says otherwise.
const RELAY_OPS_PORT: u16 = 8082;
/// A projector's operations port unless `--port` says otherwise.
const PROJECTOR_OPS_PORT: u16 = 8083;

/// Publishes the event log to JetStream until SIGTERM/SIGINT.
pub async fn relay(args: RelayArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let client = connect_nats(&args.nats.nats_url).await?;
    let config = RelayConfig {
        window: args.relay_window as usize,
        ack_timeout: std::time::Duration::from_millis(args.relay_ack_timeout_ms),
        ..RelayConfig::default()
    };
    let readiness =
        Readiness::default().with(Arc::new(EventStoreReady(store.clone()))).with(Arc::new(NatsReady(client.clone())));
    let exporter = Exporter { store: Some(store.clone()), read: Some(read.clone()), query: None };
    let ops = Ops::start("relay", &args.ops, RELAY_OPS_PORT, readiness, exporter)?;
    let relay = Relay::new(store, client, read, config).await?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(relay.run(stopped));
    shutdown_signal().await;
    tracing::info!("relay stopping");
    let _ = stop.send(true);
    let outcome = task.await;
    ops.stop().await;
    match outcome {
        Ok(result) => Ok(result?),
        Err(error) => {
            tracing::error!(%error, "the relay task panicked");
            Ok(())
        }
    }
}

/// Applies events from JetStream to the read models until SIGTERM/SIGINT.
pub async fn projector(args: ProjectorArgs) -> Result<(), CliError> {
    let projections = crate::read::projections(&args.projections)?;
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let client = connect_nats(&args.nats.nats_url).await?;
    let config = crate::read::runner_config(&args.read);
    let readiness = Readiness::default()
        .with(Arc::new(EventStoreReady(store.clone())))
        .with(Arc::new(projectors::read_store::ReadModelsReady(read.clone())))
        .with(Arc::new(NatsReady(client.clone())));
    let exporter = Exporter { store: Some(store.clone()), read: Some(read.clone()), query: None };
    let ops = Ops::start("projector", &args.ops, PROJECTOR_OPS_PORT, readiness, exporter)?;
    let feeds = JetStreamFeeds { client: client.clone(), store, batch: config.batch_size };
    let running = Projectors::start(projections, &read, Notifier::Nats(client.clone()), config, feeds).await?;
    tracing::info!("projector running");
    shutdown_signal().await;
    tracing::info!("projector stopping: finishing the current batches");
    let stopped = running.stop().await;
    ops.stop().await;
    stopped?;
    let _ = client.flush().await;
    Ok(())
}
