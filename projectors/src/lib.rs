//! The read side's writers: the relay that publishes the event log on NATS JetStream, the
//! projector runner, and the projections that build the read models the query API serves.
//!
//! Every projection is idempotent, replayable and checkpointed: a batch's read-model writes and
//! its checkpoint (the store's global position) commit in one transaction, so each event is
//! applied exactly once in effect however often it is delivered.

pub mod bus;
pub mod comments;
pub mod content;
pub mod engagement;
pub mod error;
pub mod feed;
pub mod inspect;
pub mod keys;
pub mod notices;
pub mod projection;
pub mod read_store;
pub mod rebuild;
pub mod relay;
pub mod replay;
pub mod runner;
mod sqlite_rows;
pub mod time;

pub use error::{ApplyError, RunnerError};
pub use feed::{Feed, StoreFeed};
pub use notices::{ChangeNotice, Notifier};
pub use projection::{Applied, Decoded, Projection};
pub use read_store::{ReadStore, ReadTx};
pub use runner::{Runner, RunnerConfig};

use std::sync::Arc;

/// Every projection Folio has, in the order they are listed by `folio projections status`.
pub fn all_projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(content::ContentProjection),
        Arc::new(comments::CommentsProjection),
        Arc::new(engagement::EngagementProjection),
        Arc::new(keys::KeysProjection),
    ]
}
