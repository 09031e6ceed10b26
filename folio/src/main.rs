//! The `folio` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: allocation was ~15% of `folio serve`'s CPU under load
/// (perf/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = folio::cli::Cli::parse();
    folio::telemetry::init(&cli.log);
    match folio::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %folio::error::Report(&error), "folio failed");
            ExitCode::FAILURE
        }
    }
}
