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

/// Error codes that say "try again", not "this is wrong": the store's trouble, never the
/// events'. Parking events for these would skip them (a full disk once parked a whole rebuild's
/// events one by one, "could not extend file ... No space left on device").
/// - PostgreSQL (five-character SQLSTATEs): serialization failure and deadlock (`40001`,
///   `40P01`), shutdown and restart (`57P01`-`57P03`), every insufficient resource (class `53`:
///   disk full, out of memory, too many connections), system or I/O errors (class `58`) and
///   corrupt data or indexes (`XX001`, `XX002`).
/// - SQLite (numeric result codes, extended codes included, judged by their primary code):
///   `SQLITE_BUSY` (5), `SQLITE_LOCKED` (6), `SQLITE_NOMEM` (7), `SQLITE_IOERR` (10),
///   `SQLITE_CORRUPT` (11), `SQLITE_FULL` (13), `SQLITE_NOTADB` (26).
///
/// A store that stays broken so stalls its projector (its lag grows, each retry is logged)
/// instead of skipping events into a read model that then looks complete.
fn is_transient(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    // SQLSTATEs always have five characters; SQLite's extended codes have at most four digits.
    if code.len() == 5 {
        return matches!(code, "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "XX001" | "XX002")
            || code.starts_with("53")
            || code.starts_with("58");
    }
    code.parse::<u32>().is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 7 | 10 | 11 | 13 | 26))
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

#[cfg(test)]
mod tests {
    use super::is_transient;

    #[test]
    fn the_stores_trouble_is_retried_and_bad_data_is_not() {
        let retried = [
            "40001", "40P01", "57P01", "57P03", "53100", "53200", "53300", "58030", "XX001", // PostgreSQL
            "5", "517", "6", "262", "7", "10", "266", "3338", "11", "13", "26", // SQLite, extended too
        ];
        for code in retried {
            assert!(is_transient(Some(code)), "{code} is the store's trouble");
        }
        let rejected = [
            "23505", "23502", "22P02", "42P01", "42703", "P0001", // constraints, bad input, schema
            "19", "275", "2067", "1", "20", "25", // SQLite: constraints, error, mismatch, range
        ];
        for code in rejected {
            assert!(!is_transient(Some(code)), "{code} is about the data");
        }
        assert!(!is_transient(None));
    }
}
