use super::ContentId;
use crate::names::{TypeName, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A site's user did something to an item at `at`. The payload of ContentViewed,
/// ContentLiked, ContentUnliked, ContentBookmarked and ContentUnbookmarked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub user: UserId,
    pub at: DateTime<Utc>,
}

/// A site's user shared an item, optionally naming where (`"email"`, `"mastodon"`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub user: UserId,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}
