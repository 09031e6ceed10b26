//! The serving roles' arguments: `serve`, `command-api`, `query-api`, `relay`, `projector`.

use super::{NatsArgs, ReadArgs, StoreArgs};
use clap::Args;

/// Where and how the command API serves (`folio serve` and `folio command-api`).
#[derive(Debug, Clone, Args)]
pub struct CommandApiOptions {
    /// Address to listen on.
    #[arg(long, env = "FOLIO_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (printed at start).
    #[arg(long, env = "FOLIO_PORT", default_value_t = 8080)]
    pub port: u16,
    /// How often (milliseconds) scheduled items are published when due; 0 turns this process's
    /// scheduler off (another process may run it: a publish still happens exactly once).
    #[arg(long, env = "FOLIO_SCHEDULER_INTERVAL_MS", default_value_t = 1000)]
    pub scheduler_interval_ms: u64,
    /// Largest request body accepted, in bytes (larger ones get 413 payload_too_large).
    #[arg(long, env = "FOLIO_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_body_bytes: u64,
}

impl CommandApiOptions {
    pub fn limits(&self) -> command_api::http::Limits {
        command_api::http::Limits { max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX) }
    }

    /// How often this process publishes due items, if it does.
    pub fn scheduler_every(&self) -> Option<std::time::Duration> {
        (self.scheduler_interval_ms > 0).then(|| std::time::Duration::from_millis(self.scheduler_interval_ms))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub api: CommandApiOptions,
    /// Start with the demo blog (authors, a category tree, tags, fifty articles, comments,
    /// views); already there after the first start, so nothing is added twice.
    #[arg(long, env = "FOLIO_DEMO")]
    pub demo: bool,
    #[command(flatten)]
    pub query: QueryArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The query API's settings.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Response cache size in MiB; 0 turns the cache off.
    #[arg(long, env = "FOLIO_QUERY_CACHE_MB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub query_cache_mb: u32,
    /// `max-age` (seconds) of Cache-Control on public reads; the cache itself never serves a
    /// response its notices made stale.
    #[arg(long, env = "FOLIO_QUERY_MAX_AGE", default_value_t = 0)]
    pub query_max_age: u32,
    /// Longest (milliseconds) a read waits for its Folio-Min-Position before 503.
    #[arg(long, env = "FOLIO_QUERY_MIN_POSITION_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub query_min_position_timeout_ms: u64,
    /// Secret that signs list cursors; by default one stored in the read models (made on first
    /// start) so every replica shares it.
    #[arg(long, env = "FOLIO_QUERY_CURSOR_SECRET", hide_env_values = true)]
    pub query_cursor_secret: Option<String>,
}

impl QueryArgs {
    pub fn config(&self) -> query_api::QueryConfig {
        query_api::QueryConfig {
            cache_bytes: self.query_cache_mb as usize * 1024 * 1024,
            cache_max_age: self.query_max_age,
            min_position_timeout: std::time::Duration::from_millis(self.query_min_position_timeout_ms),
            cursor_secret: self.query_cursor_secret.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct QueryApiArgs {
    /// Address to listen on.
    #[arg(long, env = "FOLIO_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "FOLIO_PORT", default_value_t = 8081)]
    pub port: u16,
    #[command(flatten)]
    pub query: QueryArgs,
    #[command(flatten)]
    pub nats: NatsArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CommandApiArgs {
    #[command(flatten)]
    pub api: CommandApiOptions,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where a background role (relay, projector) answers `/healthz`, `/readyz` and `/metrics`.
#[derive(Debug, Clone, Args)]
pub struct OpsArgs {
    /// Address of the operations endpoints.
    #[arg(long, env = "FOLIO_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the operations endpoints (`/healthz`, `/readyz`, `/metrics`); 0 picks a free one
    /// (printed at start). Defaults: 8082 for the relay, 8083 for a projector.
    #[arg(long, env = "FOLIO_PORT")]
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    /// Most publishes awaiting JetStream's acknowledgement.
    #[arg(long, env = "FOLIO_RELAY_WINDOW", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub relay_window: u32,
    /// How long (milliseconds) a publish waits for JetStream's acknowledgement before the relay
    /// re-publishes from its last acknowledged event.
    #[arg(long, env = "FOLIO_RELAY_ACK_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub relay_ack_timeout_ms: u64,
    #[command(flatten)]
    pub ops: OpsArgs,
    #[command(flatten)]
    pub nats: NatsArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ProjectorArgs {
    /// Projections to run (repeatable); all of them when none is given.
    #[arg(long = "projection", env = "FOLIO_PROJECTIONS", value_delimiter = ',')]
    pub projections: Vec<String>,
    #[command(flatten)]
    pub ops: OpsArgs,
    #[command(flatten)]
    pub nats: NatsArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}
