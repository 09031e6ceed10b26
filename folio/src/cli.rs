//! The command line. Every option can also be set with the `FOLIO_...` environment variable
//! shown in `--help`; the command line wins over the environment, which wins over defaults.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "folio", version, about = "Folio: an event-sourced headless CMS")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `folio=debug,sqlx=warn`.
    #[arg(long, global = true, env = "FOLIO_LOG", default_value = "info")]
    pub log: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every role in one process on one port (the embedded profile: SQLite, no servers).
    Serve(ServeArgs),
    /// Create or upgrade the event store's schema, then exit.
    Migrate(MigrateArgs),
    /// Print the OpenAPI document of every route `folio serve` answers.
    Openapi,
    /// Cluster role: the command API alone (writes to the event store; reads come from
    /// `folio query-api`).
    CommandApi(CommandApiArgs),
    /// Manage API keys directly in the event store (bootstraps the first admin key).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Cluster role: publish the event log to NATS JetStream.
    Relay(RelayArgs),
    /// Cluster role: build the read models from NATS JetStream.
    Projector(ProjectorArgs),
    /// Cluster role: serve reads (lists, search, detail, comments, users) from the read models.
    QueryApi(QueryApiArgs),
    /// Operate on projections: where each stands (and, later, rebuild and reset).
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Re-apply a range of the log to one projection, idempotently: the rows the range is about
    /// are recomputed from their whole history (a bug fixed, a row damaged); a second run
    /// changes nothing.
    Replay(ReplayArgs),
    /// Look at the event log and move it: read a stream, tail, export, import, count.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Fill the event store with a dataset: a small demo blog, or shared/bench/DATASET.md's bench data.
    Seed(SeedArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Each projection's checkpoint against the store's head: lag in events and seconds, state,
    /// parked events.
    Status(ProjectionsStatusArgs),
    /// Build the next version of a projection's tables from the event store beside the live
    /// one (which keeps serving), catch up, and switch atomically. Resumes after a crash.
    Rebuild(ProjectionsRebuildArgs),
    /// Empty a projection and start it over from the first event (in place: its reads are
    /// empty until it catches up; prefer rebuild on a live site).
    Reset(ProjectionsNameArgs),
    /// Apply a projection's parked (dead-lettered) events again, after a fix.
    ReplayParked(ProjectionsNameArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ProjectionsRebuildArgs {
    /// content, comments, engagement, keys (several rebuild together on one read of the log),
    /// or all.
    #[arg(required = true, num_args = 1..)]
    pub projections: Vec<String>,
    /// Drop the previous version after the switch (PostgreSQL keeps it in a `folio_old_*`
    /// schema otherwise; SQLite replaces rows in place).
    #[arg(long)]
    pub drop_old: bool,
    /// Discard an unfinished rebuild instead of resuming it.
    #[arg(long)]
    pub restart: bool,
    /// Events per rebuild transaction.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// content, comments, engagement or keys.
    #[arg(long)]
    pub projection: String,
    /// First position of the range.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub from: u64,
    /// Last position of the range (default and at most: the projection's checkpoint; later
    /// events are the live projector's to apply).
    #[arg(long)]
    pub to: Option<u64>,
    /// Events read and applied at a time.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Announce the change on NATS (cluster), so every query API's cache drops the replayed
    /// rows' pages.
    #[arg(long, env = "FOLIO_NATS_URL")]
    pub nats_url: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ProjectionsNameArgs {
    /// content, comments, engagement or keys.
    pub projection: String,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ProjectionsStatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// A stream's events in version order, as NDJSON.
    Read(EventsReadArgs),
    /// The end of the log (or from --from), filtered; --follow keeps printing new events.
    Tail(EventsTailArgs),
    /// The log over (--from, --to] as NDJSON (stored form, ids and times kept).
    Export(EventsExportArgs),
    /// Appends an exported NDJSON file in order; events already stored are skipped.
    Import(EventsImportArgs),
    /// Counts by event type and stream category.
    Stats(EventsStatsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct EventsReadArgs {
    /// The stream, e.g. `content-0190...`.
    pub stream: String,
    #[arg(long, default_value_t = 1)]
    pub from_version: u64,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EventsTailArgs {
    /// Start after this position (default: the last 20 events).
    #[arg(long)]
    pub from: Option<u64>,
    /// Keep printing events as they are committed, until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// Only these event types (repeatable).
    #[arg(long = "type", value_delimiter = ',')]
    pub event_type: Vec<String>,
    /// Only this stream.
    #[arg(long)]
    pub stream: Option<String>,
    /// Only streams of this category (e.g. `content`, `activity`).
    #[arg(long)]
    pub category: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EventsExportArgs {
    /// Start after this position (default 0: from the first event).
    #[arg(long)]
    pub from: Option<u64>,
    /// Up to and including this position (default: the head when the export starts).
    #[arg(long)]
    pub to: Option<u64>,
    /// Write here instead of stdout (with a progress bar); a name ending in `.zst` is written
    /// zstd-compressed.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Compress with zstd (implied by an output name ending in `.zst`).
    #[arg(long)]
    pub zstd: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EventsImportArgs {
    /// An NDJSON file written by `folio events export`, plain or zstd-compressed (recognised by
    /// its first bytes).
    pub file: PathBuf,
    /// Events per import transaction.
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch: u32,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EventsStatsArgs {
    #[arg(long)]
    pub from: Option<u64>,
    #[arg(long)]
    pub to: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Issue a key and print it (shown once: the last token of the last line).
    Create(KeysCreateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct KeysCreateArgs {
    /// admin, editor, author, moderator or site.
    #[arg(long, env = "FOLIO_KEY_ROLE")]
    pub role: String,
    /// A note to tell keys apart.
    #[arg(long, env = "FOLIO_KEY_LABEL")]
    pub label: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

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

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
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

/// Where the read models live: `read.sqlite` under the data dir (embedded), or PostgreSQL (the
/// `folio_read` schema of `--read-database-url`, by default the event store's database).
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// PostgreSQL URL of the read models; defaults to --database-url.
    #[arg(long, env = "FOLIO_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
    /// Connections to the read models' database.
    #[arg(long, env = "FOLIO_READ_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub read_pool_size: u32,
    /// Most events a projector applies in one transaction.
    #[arg(long, env = "FOLIO_PROJECTOR_BATCH", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub projector_batch: u32,
    /// How long (milliseconds) a projector batch waits to fill once its first event arrived.
    #[arg(long, env = "FOLIO_PROJECTOR_LINGER_MS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub projector_linger_ms: u64,
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
pub struct NatsArgs {
    /// NATS server with JetStream enabled.
    #[arg(long, env = "FOLIO_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct CommandApiArgs {
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

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Which dataset `folio seed` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedDataset {
    /// A small blog: authors, a category tree, tags, ~50 articles, comments, views and likes.
    Demo,
    /// The benchmark dataset (1M articles and 20M views by default).
    Bench,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    #[arg(long, env = "FOLIO_SEED_DATASET", value_enum, default_value_t = SeedDataset::Demo)]
    pub dataset: SeedDataset,
    /// Bench: number of articles (default 1,000,000; 100,000 with --quick).
    #[arg(long, env = "FOLIO_SEED_ARTICLES", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub articles: Option<u64>,
    /// Bench: number of views (default 20,000,000; 2,000,000 with --quick).
    #[arg(long, env = "FOLIO_SEED_VIEWS")]
    pub views: Option<u64>,
    /// Bench: the quick profile (100,000 articles, 2,000,000 views).
    #[arg(long, env = "FOLIO_SEED_QUICK")]
    pub quick: bool,
    /// Events per import transaction.
    #[arg(long, env = "FOLIO_SEED_BATCH", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch: u32,
    #[command(flatten)]
    pub store: StoreArgs,
}
