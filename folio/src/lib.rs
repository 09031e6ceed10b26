//! Every role and tool of Folio behind one binary. `main.rs` only parses and calls [`run`].

pub mod cli;
pub mod docs;
pub mod error;
pub mod event_tools;
pub mod import_chunks;
pub mod keys;
pub mod metrics;
pub mod migrate;
pub mod ndjson_file;
pub mod ops;
pub mod projections;
pub mod query;
pub mod read;
pub mod replay;
pub mod roles;
pub mod seed;
pub mod serve;
pub mod store;
pub mod telemetry;

use cli::{Cli, Command};
use error::CliError;
use std::io::Write;

/// Runs the chosen subcommand to completion.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Openapi => {
            let _ = writeln!(std::io::stdout().lock(), "{}", docs::Document::build().json());
            Ok(())
        }
        Command::CommandApi(args) => serve::command_api(args).await,
        Command::Keys(cli::KeysCommand::Create(args)) => keys::create(args).await,
        Command::Relay(args) => roles::relay(args).await,
        Command::Projector(args) => roles::projector(args).await,
        Command::QueryApi(args) => crate::query::run(args).await,
        Command::Projections(cli::ProjectionsCommand::Status(args)) => projections::run(args).await,
        Command::Projections(cli::ProjectionsCommand::Rebuild(args)) => projections::rebuild(args).await,
        Command::Projections(cli::ProjectionsCommand::Reset(args)) => projections::reset(args).await,
        Command::Projections(cli::ProjectionsCommand::ReplayParked(args)) => projections::replay_parked(args).await,
        Command::Replay(args) => replay::run(args).await,
        Command::Events(command) => match command {
            cli::EventsCommand::Read(args) => event_tools::read(args).await,
            cli::EventsCommand::Tail(args) => event_tools::tail(args).await,
            cli::EventsCommand::Export(args) => event_tools::export(args).await,
            cli::EventsCommand::Import(args) => event_tools::import(args).await,
            cli::EventsCommand::Stats(args) => event_tools::stats(args).await,
        },
        Command::Seed(args) => seed::run::run(args).await.map(|_| ()),
    }
}
