use events::{EventId, ExpectedVersion, StreamId, StreamVersion};
use std::sync::Arc;

/// Why one append was refused. Nothing of a refused append is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    #[error("stream {stream} is at version {actual}, not {expected:?}")]
    WrongExpectedVersion { stream: StreamId, expected: ExpectedVersion, actual: StreamVersion },
    #[error("event {event_id} conflicts with a stored event: {reason}")]
    IdempotencyConflict { event_id: EventId, reason: &'static str },
    #[error("an append must carry at least one event")]
    Empty,
    /// PostgreSQL stores a schema version as `smallint`; SQLite refuses the same versions, so
    /// both backends accept exactly the same appends.
    #[error("event {event_id} has schema version {schema_version}; the most a store keeps is {max}", max = MAX_SCHEMA_VERSION)]
    SchemaVersionTooHigh { event_id: EventId, schema_version: u16 },
}

/// The highest schema version an event may carry: what PostgreSQL's `smallint` column holds.
/// Refused above it rather than stored clamped, which would make a retry's verdict depend on
/// whether it was judged against the batch in memory or the row read back.
pub const MAX_SCHEMA_VERSION: u16 = 32_767;

/// Everything an event store call can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The database failed or could not be reached. For an append, the batch's transaction did
    /// not commit as far as the store knows; retrying with the same event ids is always safe.
    #[error("event store database error")]
    Database(#[source] Arc<sqlx::Error>),
    #[error("event store migration failed")]
    Migration(#[source] Arc<sqlx::migrate::MigrateError>),
    /// A stored row could not be read back (a corrupt or foreign row).
    #[error("stored event at position {position} is unreadable: {reason}")]
    Corrupt { position: i64, reason: String },
    /// Other processes kept appending first; the batch gave up re-planning after `attempts`.
    #[error("event store too contended: gave up after {attempts} attempts")]
    Contention { attempts: usize },
    /// The writer task is gone (the store is shutting down).
    #[error("event store is shut down")]
    Closed,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(Arc::new(error))
    }
}
