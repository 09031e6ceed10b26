//! Opens the event store the options name: SQLite under the data dir, or PostgreSQL.

use crate::cli::StoreArgs;
use crate::error::CliError;
use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::{EventStore, GroupCommitConfig, StoreConfig};
use std::sync::Arc;
use std::time::Duration;

/// The embedded profile's event store file inside the data dir.
pub const SQLITE_FILE: &str = "events.sqlite";

pub fn config(args: &StoreArgs) -> StoreConfig {
    StoreConfig {
        group_commit: GroupCommitConfig {
            max_batch_events: args.group_commit_max_events as usize,
            max_wait: Duration::from_millis(u64::from(args.group_commit_max_wait_ms)),
        },
        pool_size: args.database_pool_size,
        ..StoreConfig::default()
    }
}

pub async fn open(args: &StoreArgs) -> Result<Arc<dyn EventStore>, CliError> {
    let config = config(args);
    match &args.database_url {
        Some(url) => Ok(Arc::new(PostgresEventStore::connect(url, config).await?)),
        None => {
            std::fs::create_dir_all(&args.data_dir)
                .map_err(|source| CliError::DataDir { path: args.data_dir.display().to_string(), source })?;
            Ok(Arc::new(SqliteEventStore::open(&args.data_dir.join(SQLITE_FILE), config).await?))
        }
    }
}
