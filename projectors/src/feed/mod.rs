//! Feeds: where a projector's events come from.
//!
//! - [`StoreFeed`] tails the event store's global log (embedded profile, and every rebuild).
//! - [`JetStreamFeed`] pulls from a durable JetStream consumer (cluster profile), repairing any
//!   gap from the store, which stays the source of truth.
//!
//! Rules every feed keeps: `next_batch(after, ..)` returns events with positions > `after`, in
//! position order, with no gap (the first is `after + 1`); it waits until at least one exists.
//! `acknowledge(p)` is called only after everything up to `p` is committed.

mod jetstream;
mod store;

pub use jetstream::JetStreamFeed;
pub use store::StoreFeed;

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

#[async_trait]
pub trait Feed: Send {
    /// Up to `max` events after `after`, waiting for the first, then lingering at most `linger`
    /// for more to fill the batch.
    async fn next_batch(
        &mut self,
        after: Position,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<RecordedEvent>, FeedError>;

    /// Everything up to `position` is committed to the read store.
    async fn acknowledge(&mut self, position: Position) -> Result<(), FeedError>;
}
