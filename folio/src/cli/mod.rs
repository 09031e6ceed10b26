//! The command line. Every option can also be set with the `FOLIO_...` environment variable
//! shown in `--help`; the command line wins over the environment, which wins over defaults.

mod roles;
mod stores;
mod tools;

pub use roles::{
    CommandApiArgs, CommandApiOptions, OpsArgs, ProjectorArgs, QueryApiArgs, QueryArgs, RelayArgs, ServeArgs,
};
pub use stores::{NatsArgs, ReadArgs, StoreArgs};
pub use tools::{
    EventsCommand, EventsExportArgs, EventsImportArgs, EventsReadArgs, EventsStatsArgs, EventsTailArgs, KeysCommand,
    KeysCreateArgs, MigrateArgs, ProjectionsCommand, ProjectionsNameArgs, ProjectionsRebuildArgs,
    ProjectionsStatusArgs, RebuildPriority, ReplayArgs, SeedArgs, SeedDataset,
};

use clap::{Parser, Subcommand};

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
