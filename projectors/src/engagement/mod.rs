//! The engagement projection: per-item counters (views, likes, shares, bookmarks, comments) and
//! per user x item state (first and last view, view count, liked, bookmarked), which is also each
//! user's view history, newest first.
//!
//! A batch is first folded into deltas ([`fold`]): one counter delta per item and one state delta
//! per (user, item), so a batch of 2,000 views is two multi-row upserts, not 4,000 statements.
//! Likes and bookmarks toggle exactly once per change on the command side (their own streams,
//! checked versions), so a like event is always a real change and +1/-1 is exact.

mod fold;
mod postgres;
mod sqlite;

pub use fold::{fold, CounterDelta, EngagementDelta, UserItemDelta};

use crate::error::ApplyError;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadTx;
use async_trait::async_trait;

pub const NAME: &str = "engagement";

#[derive(Debug, Clone, Copy, Default)]
pub struct EngagementProjection;

#[async_trait]
impl Projection for EngagementProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["item_counters", "user_items"]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            "ContentViewed"
                | "ContentLiked"
                | "ContentUnliked"
                | "ContentShared"
                | "ContentBookmarked"
                | "ContentUnbookmarked"
                | "CommentPosted"
                | "CommentRemoved"
        )
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError> {
        let delta = fold(events);
        match tx {
            ReadTx::Postgres(tx) => postgres::write(tx, &delta).await?,
            ReadTx::Sqlite(tx) => sqlite::write(tx, &delta).await?,
        }
        Ok(Applied {
            counters: delta.counters.keys().copied().collect(),
            users: delta.users.keys().map(|(user, _)| user.clone()).collect(),
            ..Applied::default()
        })
    }
}
