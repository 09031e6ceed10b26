//! Where Folio's data lives: the event store, the read models, NATS.

use clap::Args;
use std::path::PathBuf;

/// Where the event store lives: a SQLite file under `--data-dir` (embedded), or PostgreSQL when
/// `--database-url` is given (cluster).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Folder for the embedded profile's files (created if missing).
    #[arg(long, env = "FOLIO_DATA_DIR", default_value = "folio-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL of the event store; selects the cluster profile.
    #[arg(long, env = "FOLIO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Most events committed in one group-commit transaction.
    #[arg(long, env = "FOLIO_GROUP_COMMIT_MAX_EVENTS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub group_commit_max_events: u32,
    /// How long (milliseconds) a group commit lingers for more appends; 0 commits what is queued.
    #[arg(long, env = "FOLIO_GROUP_COMMIT_MAX_WAIT_MS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub group_commit_max_wait_ms: u32,
    /// Connections to the event store's database.
    #[arg(long, env = "FOLIO_DATABASE_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_pool_size: u32,
}

/// Where the read models live: `read.sqlite` under the data dir (embedded), or PostgreSQL (the
/// `folio_read` schema of `--read-database-url`, by default the event store's database).
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// PostgreSQL URL of the read models; defaults to --database-url.
    #[arg(long, env = "FOLIO_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
    /// Connections of the projectors to the read models' database; the query API opens up to
    /// this many per HTTP worker thread (on PostgreSQL half for each of its two planning modes).
    #[arg(long, env = "FOLIO_READ_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub read_pool_size: u32,
    /// Most events a projector applies in one transaction.
    #[arg(long, env = "FOLIO_PROJECTOR_BATCH", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub projector_batch: u32,
    /// How long (milliseconds) a projector batch waits to fill once its first event arrived.
    #[arg(long, env = "FOLIO_PROJECTOR_LINGER_MS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub projector_linger_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS server with JetStream enabled.
    #[arg(long, env = "FOLIO_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
}
