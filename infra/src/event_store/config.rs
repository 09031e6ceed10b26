use std::time::Duration;

/// How concurrent appends are gathered into one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitConfig {
    /// At most this many events in one transaction (an append is never split; a single append
    /// larger than this is committed alone).
    pub max_batch_events: usize,
    /// After the first append arrives, wait at most this long for more before committing.
    /// Zero commits whatever is queued at once: batches still form while a commit is in flight.
    pub max_wait: Duration,
}

impl Default for GroupCommitConfig {
    fn default() -> Self {
        Self { max_batch_events: 1000, max_wait: Duration::ZERO }
    }
}

/// Settings shared by every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    pub group_commit: GroupCommitConfig,
    /// Subscriptions poll this often when no commit signal arrives (the fallback, not the path).
    pub poll_interval: Duration,
    /// Connections for reads (and, on PostgreSQL, for the writer too).
    pub pool_size: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { group_commit: GroupCommitConfig::default(), poll_interval: Duration::from_millis(500), pool_size: 8 }
    }
}
