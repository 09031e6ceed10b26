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
    /// Views set aside for a rebuild's bulk completion ([`ViewCounts::Staged`]): only their
    /// first, last and number per (user, item) are filled.
    pub staged_views: BTreeMap<(String, Uuid), UserItemDelta>,
}

/// Where a fold puts views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewCounts {
    /// Into the items' counters and the (user, item) rows.
    Counted,
    /// Into the (user, item) rows only: a rebuild's bulk completion sums the counters from them
    /// (PostgreSQL).
    Uncounted,
    /// Into [`EngagementDelta::staged_views`] only (SQLite), for a rebuild's bulk completion, which merges
    /// them into the (user, item) rows in key order and then sums the counters from those rows.
    /// Views merge by min, max and sum, so the order they are merged in changes nothing.
    Staged,
}

pub fn fold(events: &[Decoded]) -> EngagementDelta {
    fold_with(events, ViewCounts::Counted)
}

pub fn fold_with(events: &[Decoded], views: ViewCounts) -> EngagementDelta {
    let mut delta = EngagementDelta::default();
    for decoded in events {
        match &decoded.event {
            DomainEvent::ContentViewed(e) => {
                let rows = match views {
                    ViewCounts::Counted => {
                        delta.counters.entry(e.content_id.0).or_default().views += 1;
                        &mut delta.users
                    }
                    ViewCounts::Uncounted => &mut delta.users,
                    ViewCounts::Staged => &mut delta.staged_views,
                };
                let row = rows.entry((e.user.to_string(), e.content_id.0)).or_default();
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use events::payloads::{ContentId, Engagement};
    use events::{EventId, TypeName, UserId};

    fn decoded(position: i64, event: DomainEvent) -> Decoded {
        Decoded {
            position: u64::try_from(position).unwrap(),
            event_id: EventId::now_v7(),
            stream_version: 1,
            recorded_at: DateTime::from_timestamp(position, 0).unwrap(),
            event,
        }
    }

    fn engagement(item: u128, user: &str, at: i64) -> Engagement {
        Engagement {
            content_type: TypeName::parse("article").unwrap(),
            content_id: ContentId(Uuid::from_u128(item)),
            user: UserId::parse(user).unwrap(),
            at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    /// Staged views are the views a counted fold puts in the (user, item) rows, set aside;
    /// uncounted views go to the rows alone; the rest of the batch folds as it would.
    #[test]
    fn staged_views_are_the_counted_views_set_aside() {
        let events = [
            decoded(1, DomainEvent::ContentViewed(engagement(1, "u1", 30))),
            decoded(2, DomainEvent::ContentViewed(engagement(1, "u1", 10))),
            decoded(3, DomainEvent::ContentLiked(engagement(1, "u1", 40))),
            decoded(4, DomainEvent::ContentViewed(engagement(2, "u2", 20))),
        ];
        let counted = fold(&events);
        let staged = fold_with(&events, ViewCounts::Staged);
        let key = |item: u128, user: &str| (user.to_owned(), Uuid::from_u128(item));
        let row = &staged.staged_views[&key(1, "u1")];
        assert_eq!((row.views, row.liked), (2, None));
        assert_eq!(row.first_viewed_at, DateTime::from_timestamp(10, 0));
        assert_eq!(row.last_viewed_at, DateTime::from_timestamp(30, 0));
        assert_eq!(staged.staged_views[&key(2, "u2")].views, 1);
        assert_eq!(staged.users.len(), 1, "only the like reaches the rows: {:?}", staged.users);
        assert_eq!(staged.users[&key(1, "u1")].liked, Some(true));
        assert_eq!(staged.users[&key(1, "u1")].views, 0);
        assert_eq!(counted.users[&key(1, "u1")].views, 2);
        assert!(counted.staged_views.is_empty());
        let views = |d: &EngagementDelta| d.counters.values().map(|c| c.views).sum::<i64>();
        assert_eq!((views(&counted), views(&staged)), (3, 0));
        assert_eq!(staged.counters[&Uuid::from_u128(1)].likes, 1);
        let uncounted = fold_with(&events, ViewCounts::Uncounted);
        assert_eq!(uncounted.users, counted.users, "uncounted, the rows are the counted fold's");
        assert!(uncounted.staged_views.is_empty());
        assert_eq!(views(&uncounted), 0);
    }
}
