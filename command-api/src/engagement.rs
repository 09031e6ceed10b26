//! Engagement on behalf of a site's users.
//!
//! Streams, chosen for volume and for exact counts:
//! - views and shares: `activity-<user>`, appended with `ExpectedVersion::Any`. Tens of millions
//!   of views need no read before writing and never contend with each other per item; the stream
//!   is the user's history in order. Counting needs no state: every view or share counts once.
//! - likes and bookmarks: `engagement-<item>:<user>`, one small stream per user and item. Liking
//!   is a decision over that stream, appended with the exact version read: a like of a liked item
//!   (or an unlike of an unliked one) appends nothing, and of two concurrent likes one wins and the
//!   other, retried against the new state, becomes a no-op. So Liked and Unliked strictly
//!   alternate in every stream, and a count of likes minus unlikes is exact.

use chrono::{DateTime, Utc};
use events::payloads::{ContentId, Engagement, Share};
use events::{Category, DomainEvent, StreamId, StreamIdError, TypeName, UserId};

/// Whether a user likes and has bookmarked an item, folded from its engagement stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Toggles {
    pub liked: bool,
    pub bookmarked: bool,
}

pub fn evolve(mut toggles: Toggles, event: &DomainEvent) -> Toggles {
    match event {
        DomainEvent::ContentLiked(_) => toggles.liked = true,
        DomainEvent::ContentUnliked(_) => toggles.liked = false,
        DomainEvent::ContentBookmarked(_) => toggles.bookmarked = true,
        DomainEvent::ContentUnbookmarked(_) => toggles.bookmarked = false,
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
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
        | DomainEvent::ContentViewed(_)
        | DomainEvent::ContentShared(_)
        | DomainEvent::ApiKeyIssued(_)
        | DomainEvent::ApiKeyRevoked(_)
        | DomainEvent::IdempotentRequestRecorded(_) => {}
    }
    toggles
}

/// The toggles a site can set or clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    Like,
    Bookmark,
}

/// The event that moves `toggle` to `on`, or `None` when it already is.
pub fn decide_toggle(toggles: Toggles, toggle: Toggle, on: bool, engagement: Engagement) -> Option<DomainEvent> {
    match (toggle, toggles.liked, toggles.bookmarked, on) {
        (Toggle::Like, false, _, true) => Some(DomainEvent::ContentLiked(engagement)),
        (Toggle::Like, true, _, false) => Some(DomainEvent::ContentUnliked(engagement)),
        (Toggle::Bookmark, _, false, true) => Some(DomainEvent::ContentBookmarked(engagement)),
        (Toggle::Bookmark, _, true, false) => Some(DomainEvent::ContentUnbookmarked(engagement)),
        _ => None,
    }
}

pub fn view(content_type: TypeName, content_id: ContentId, user: UserId, at: DateTime<Utc>) -> DomainEvent {
    DomainEvent::ContentViewed(Engagement { content_type, content_id, user, at })
}

pub fn share(engagement: Engagement, channel: Option<String>) -> DomainEvent {
    DomainEvent::ContentShared(Share {
        content_type: engagement.content_type,
        content_id: engagement.content_id,
        user: engagement.user,
        at: engagement.at,
        channel,
    })
}

pub fn activity_stream(user: &UserId) -> Result<StreamId, StreamIdError> {
    StreamId::new(&Category::parse("activity")?, user)
}

pub fn toggles_stream(item: ContentId, user: &UserId) -> Result<StreamId, StreamIdError> {
    StreamId::new(&Category::parse("engagement")?, format!("{item}:{user}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn engagement() -> Engagement {
        Engagement {
            content_type: TypeName::parse("article").unwrap(),
            content_id: ContentId(Uuid::from_u128(1)),
            user: UserId::parse("42").unwrap(),
            at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn toggles_change_only_when_they_flip() {
        let none = Toggles::default();
        let like = decide_toggle(none, Toggle::Like, true, engagement()).unwrap();
        assert!(matches!(like, DomainEvent::ContentLiked(_)));
        let liked = evolve(none, &like);
        assert_eq!(decide_toggle(liked, Toggle::Like, true, engagement()), None, "liking twice appends nothing");
        assert_eq!(decide_toggle(none, Toggle::Like, false, engagement()), None, "unliking what was never liked");
        let unlike = decide_toggle(liked, Toggle::Like, false, engagement()).unwrap();
        assert_eq!(evolve(liked, &unlike), none);
        let bookmark = decide_toggle(liked, Toggle::Bookmark, true, engagement()).unwrap();
        assert_eq!(evolve(liked, &bookmark), Toggles { liked: true, bookmarked: true });
    }

    #[test]
    fn streams_are_per_user_and_per_user_and_item() {
        let user = UserId::parse("ada@example.com").unwrap();
        assert_eq!(activity_stream(&user).unwrap().as_str(), "activity-ada@example.com");
        let item = ContentId(Uuid::from_u128(1));
        assert_eq!(
            toggles_stream(item, &user).unwrap().as_str(),
            "engagement-00000000-0000-0000-0000-000000000001:ada@example.com"
        );
    }
}
