//! Feeds: where a projector's events come from.
//!
//! - [`StoreFeed`] tails the event store's global log (embedded profile, and every rebuild).
//! - [`JetStreamFeed`] pulls from a durable JetStream consumer (cluster profile), repairing any
//!   gap from the store, which stays the source of truth.
//!
//! - [`TypedFeed`] reads only the event types one projection handles, the store skipping the
//!   rest (every rebuild: each projection at its own pace).
//! - [`SharedLog`] reads the store once for several projections in one process and hands each
//!   only the events it handles (embedded profile and catch-up: one read, one parse).
//!
//! Rules every feed keeps: `next_batch(after, ..)` returns a [`Batch`] whose `through` is >
//! `after`, and whose events are, in position order, every event in (`after`, `through`] that
//! the projection may handle (a feed may leave out events the projection does not handle, never
//! one it does). It waits until at least one position is available. `acknowledge(p)` is called
//! only after everything up to `p` is committed.

mod jetstream;
mod shared;
mod store;
mod typed;

pub use jetstream::JetStreamFeed;
pub use shared::{SharedFeed, SharedLog};
pub use store::StoreFeed;
pub use typed::TypedFeed;

use async_trait::async_trait;
use events::{Position, RecordedEvent};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("event store: {0}")]
    Store(#[from] infra::StoreError),
    #[error("NATS: {0}")]
    Nats(String),
    #[error("message {sequence} on NATS is not a Folio event: {reason}")]
    Malformed { sequence: u64, reason: String },
}

/// A stretch of the log: `events` are those of (after, `through`] the projection may handle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub events: Vec<RecordedEvent>,
    pub through: Position,
}

impl Batch {
    /// A contiguous run of the log (nothing filtered out).
    pub fn contiguous(events: Vec<RecordedEvent>, after: Position) -> Self {
        let through = events.last().map_or(after, |e| e.position);
        Self { events, through }
    }
}

#[async_trait]
pub trait Feed: Send {
    /// Up to `max` events after `after`, waiting for the first, then lingering at most `linger`
    /// for more to fill the batch.
    async fn next_batch(&mut self, after: Position, max: usize, linger: Duration) -> Result<Batch, FeedError>;

    /// Everything up to `position` is committed to the read store.
    async fn acknowledge(&mut self, position: Position) -> Result<(), FeedError>;
}
