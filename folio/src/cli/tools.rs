//! The operator tools' arguments: projections, replay, events, keys, migrate, seed.

use super::{ReadArgs, StoreArgs};
use clap::{Args, Subcommand};
use std::path::PathBuf;

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
    /// CPU priority of the rebuild: `low` (nice 19, and one CPU left free) yields to the roles
    /// serving the site, for this process and for its PostgreSQL backends when they run on this
    /// host and may be lowered (root or the postgres user); `normal` competes with them, the
    /// fastest when nothing is served.
    #[arg(long, value_enum, default_value_t = RebuildPriority::Low)]
    pub priority: RebuildPriority,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// How a rebuild shares the CPU with the roles serving the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RebuildPriority {
    Low,
    Normal,
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
    /// Events per import transaction (per chunk, when the store is not empty or is SQLite).
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
