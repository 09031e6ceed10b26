//! Folding a batch of engagement events into deltas. Pure.

use crate::projection::Decoded;
use chrono::{DateTime, Utc};
use events::DomainEvent;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What one batch adds to an item's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterDelta {
    pub views: i64,
    pub likes: i64,
    pub shares: i64,
    pub bookmarks: i64,
    pub comments: i64,
}

/// What one batch changes in a (user, item) row. `None` leaves the stored value as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserItemDelta {
    pub first_viewed_at: Option<DateTime<Utc>>,
    pub last_viewed_at: Option<DateTime<Utc>>,
    pub views: i32,
    pub liked: Option<bool>,
    pub bookmarked: Option<bool>,
}

/// Keys are ordered, so every writer locks rows in the same order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngagementDelta {
    pub counters: BTreeMap<Uuid, CounterDelta>,
    pub users: BTreeMap<(String, Uuid), UserItemDelta>,
}

/// Whether a fold adds views to the items' counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewCounts {
    Counted,
    /// Left to a rebuild's bulk completion, which sums `user_items.views` per item (the views a
    /// fold adds to each (user, item) row add up to exactly what it would add to the counter).
    Deferred,
}

pub fn fold(events: &[Decoded]) -> EngagementDelta {
    fold_with(events, ViewCounts::Counted)
}

pub fn fold_with(events: &[Decoded], views: ViewCounts) -> EngagementDelta {
    let mut delta = EngagementDelta::default();
    for decoded in events {
        match &decoded.event {
            DomainEvent::ContentViewed(e) => {
                if views == ViewCounts::Counted {
                    delta.counters.entry(e.content_id.0).or_default().views += 1;
                }
                let row = delta.users.entry((e.user.to_string(), e.content_id.0)).or_default();
                row.first_viewed_at = Some(row.first_viewed_at.map_or(e.at, |t| t.min(e.at)));
                row.last_viewed_at = Some(row.last_viewed_at.map_or(e.at, |t| t.max(e.at)));
                row.views += 1;
            }
            DomainEvent::ContentLiked(e) | DomainEvent::ContentUnliked(e) => {
                let liked = matches!(decoded.event, DomainEvent::ContentLiked(_));
                delta.counters.entry(e.content_id.0).or_default().likes += if liked { 1 } else { -1 };
                delta.users.entry((e.user.to_string(), e.content_id.0)).or_default().liked = Some(liked);
            }
            DomainEvent::ContentBookmarked(e) | DomainEvent::ContentUnbookmarked(e) => {
                let marked = matches!(decoded.event, DomainEvent::ContentBookmarked(_));
                delta.counters.entry(e.content_id.0).or_default().bookmarks += if marked { 1 } else { -1 };
                delta.users.entry((e.user.to_string(), e.content_id.0)).or_default().bookmarked = Some(marked);
            }
            DomainEvent::ContentShared(e) => delta.counters.entry(e.content_id.0).or_default().shares += 1,
            DomainEvent::CommentPosted(e) => delta.counters.entry(e.content_id.0).or_default().comments += 1,
            DomainEvent::CommentRemoved(e) => delta.counters.entry(e.content_id.0).or_default().comments -= 1,
            DomainEvent::ContentTypeDefined(_)
            | DomainEvent::ContentTypeRevised(_)
            | DomainEvent::ContentCreated(_)
            | DomainEvent::ContentRevised(_)
            | DomainEvent::ContentPublished(_)
            | DomainEvent::ContentUnpublished(_)
            | DomainEvent::ContentScheduled(_)
            | DomainEvent::ContentArchived(_)
            | DomainEvent::SlugClaimed(_)
            | DomainEvent::SlugReleased(_)
            | DomainEvent::CommentEdited(_)
            | DomainEvent::ApiKeyIssued(_)
            | DomainEvent::ApiKeyRevoked(_)
            | DomainEvent::IdempotentRequestRecorded(_) => {}
        }
    }
    delta
}
