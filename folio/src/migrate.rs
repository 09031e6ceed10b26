//! `folio migrate`: opening a store runs its migrations; this does only that and reports.

use crate::cli::MigrateArgs;
use crate::error::CliError;

pub async fn run(args: MigrateArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let head = store.head().await?;
    tracing::info!(head, "event store schema is up to date");
    Ok(())
}
