//! Projection benchmarks (perf/projections.sh runs them as committed in perf/RESULTS.md):
//! - `catchup`: all projections from 0 to the head of an already seeded store, into fresh
//!   PostgreSQL read models; then the read models' size on disk and user_items lookup latency.
//! - `visibility`: append → visible latency at a fixed append rate, embedded or cluster.

use clap::{Parser, Subcommand};
use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::{EventStore, StoreConfig};
use perf::visibility::{self, Run};
use projectors::feed::{Feed, JetStreamFeed};
use projectors::relay::{Relay, RelayConfig};
use projectors::{ReadStore, RunnerConfig, StoreFeed};
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// The allocator `folio` itself runs with, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    bench: Bench,
    /// Events per projector transaction.
    #[arg(long, global = true, default_value_t = 2000)]
    batch: usize,
    /// Write every figure as JSON here.
    #[arg(long, global = true)]
    json_out: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Bench {
    Catchup {
        /// A store seeded with `folio seed --dataset bench`; its folio_read schema is dropped first.
        #[arg(long)]
        database_url: String,
        /// Users in the dataset (lookups pick among them).
        #[arg(long, default_value_t = 100_000)]
        users: u64,
        #[arg(long, default_value_t = 10_000)]
        lookups: u64,
        /// Only these projections (all by default).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    Visibility {
        /// embedded (SQLite store and read models, store tail) or cluster (PostgreSQL, relay,
        /// NATS JetStream).
        #[arg(long, default_value = "embedded")]
        profile: String,
        #[arg(long, default_value_t = 5000)]
        rate: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 5)]
        warmup: u64,
        #[arg(long, default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
        admin_url: String,
        #[arg(long, default_value = "nats://127.0.0.1:54222")]
        nats_url: String,
    },
}

async fn visibility_run(
    args: &Args,
    profile: &str,
    run: &Run,
    admin_url: &str,
    nats_url: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    match profile {
        "embedded" => {
            let store: Arc<dyn EventStore> =
                Arc::new(SqliteEventStore::open(&temp.path().join("events.sqlite"), StoreConfig::default()).await?);
            let read = ReadStore::open_sqlite(&temp.path().join("read.sqlite")).await?;
            let items = visibility::prepare(store.as_ref(), 1000).await?;
            let feeds = |_: &str| -> Box<dyn Feed> { Box::new(StoreFeed::new(store.clone())) };
            let figures = visibility::measure(store.clone(), &read, &items, run, feeds).await?;
            Ok(figures.to_json())
        }
        "cluster" => {
            let database = perf::pg::Database::create(admin_url).await?;
            let store: Arc<dyn EventStore> =
                Arc::new(PostgresEventStore::connect(&database.url, StoreConfig::default()).await?);
            let read = ReadStore::connect_postgres(&database.url, 8).await?;
            let client = async_nats::connect(nats_url).await?;
            let context = async_nats::jetstream::new(client.clone());
            let _ = context.delete_stream(projectors::bus::STREAM).await;
            let relay = Relay::new(store.clone(), client.clone(), read.clone(), RelayConfig::default()).await?;
            let (stop_relay, relay_stopped) = tokio::sync::watch::channel(false);
            let relay = tokio::spawn(relay.run(relay_stopped));
            let items = visibility::prepare(store.as_ref(), 1000).await?;
            let mut feeds = Vec::new();
            for projection in projectors::all_projections() {
                feeds.push((
                    projection.name(),
                    JetStreamFeed::new(client.clone(), store.clone(), projection.name(), args.batch),
                ));
            }
            let make = move |name: &str| -> Box<dyn Feed> {
                let index = feeds.iter().position(|(n, _)| *n == name).unwrap_or(0);
                Box::new(feeds.remove(index).1)
            };
            let figures = visibility::measure(store.clone(), &read, &items, run, make).await?;
            let _ = stop_relay.send(true);
            relay.await??;
            read.close().await;
            drop(store);
            let _ = context.delete_stream(projectors::bus::STREAM).await;
            database.drop().await?;
            Ok(figures.to_json())
        }
        other => Err(format!("unknown profile {other:?} (embedded, cluster)").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = RunnerConfig { batch_size: args.batch, ..RunnerConfig::default() };
    let result = match &args.bench {
        Bench::Catchup { database_url, users, lookups, only } => {
            perf::catchup::reset(database_url).await?;
            let store: Arc<dyn EventStore> =
                Arc::new(PostgresEventStore::connect(database_url, StoreConfig::default()).await?);
            let read = ReadStore::connect_postgres(database_url, 8).await?;
            let catchup = perf::catchup::run(store, &read, config, only).await?;
            writeln!(std::io::stderr(), "catch-up: {catchup}")?;
            let sizes = perf::catchup::sizes(database_url).await?;
            let lookups = perf::catchup::lookups(&read, *users, *lookups).await?;
            json!({"bench": "catchup", "batch": args.batch, "catchup": catchup, "sizes": sizes, "lookups": lookups})
        }
        Bench::Visibility { profile, rate, seconds, warmup, admin_url, nats_url } => {
            let run = Run {
                rate: *rate,
                warmup: Duration::from_secs(*warmup),
                window: Duration::from_secs(*seconds),
                config,
            };
            let figures = visibility_run(&args, profile, &run, admin_url, nats_url).await?;
            json!({"bench": "visibility", "profile": profile, "rate": rate, "batch": args.batch, "figures": figures})
        }
    };
    let text = serde_json::to_string_pretty(&result)?;
    writeln!(std::io::stdout(), "{text}")?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, text)?;
    }
    Ok(())
}
