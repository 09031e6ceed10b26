//! Errors of the read side.

use events::Position;

/// Why a projection could not apply a batch.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The read store could not be reached or the transaction was interrupted: nothing about the
    /// events is wrong, so the runner retries for as long as it takes.
    #[error("read store unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The events could not be applied (bad data, a broken invariant, a constraint): retried a
    /// few times, then the failing event is parked.
    #[error("{0}")]
    Rejected(String),
    /// The checkpoint is not where this runner left it: another runner of the same projection
    /// (or a transaction of a cancelled one that still committed) got there first.
    #[error("the checkpoint moved to {0} under this runner")]
    CheckpointMoved(Position),
}

impl From<sqlx::Error> for ApplyError {
    #[allow(clippy::wildcard_enum_match_arm)] // sqlx::Error is non-exhaustive
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => Self::Unavailable(error),
            sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => Self::Unavailable(error),
            // sqlx's error is non-exhaustive: anything else is about the data.
            _ => Self::Rejected(error.to_string()),
        }
    }
}

/// SQLSTATEs (Postgres) and result codes (SQLite) that say "try again", not "this is wrong":
/// serialization failure, deadlock, admin shutdown, too many connections, SQLITE_BUSY/LOCKED.
fn is_transient(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "517" | "262"))
}

/// Why the runner stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("read store: {0}")]
    ReadStore(#[from] sqlx::Error),
    #[error("read store migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("feed: {0}")]
    Feed(#[from] crate::feed::FeedError),
    #[error("the checkpoint moved to {0} under this runner")]
    CheckpointMoved(Position),
    #[error("the feed delivered position {got} after {after}, out of order or beyond its batch")]
    OutOfOrder { after: Position, got: Position },
    #[error("rebuild: {0}")]
    Rebuild(String),
    #[error("a rebuild of {projection} is already running on {place}: wait for it to finish, or stop it first")]
    RebuildRunning { projection: String, place: String },
    #[error("replay: {0}")]
    Replay(String),
}
