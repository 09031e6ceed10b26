//! Typed payloads of every event. Each payload carries the ids a projection needs
//! (content type and content id included), so no consumer has to parse stream ids.

mod comments;
mod content;
mod content_types;
mod engagement;
mod keys;
mod requests;

pub use comments::{CommentEdited, CommentPosted, CommentRemoved};
pub use content::{
    ContentCreated, ContentPublished, ContentRef, ContentRevised, ContentScheduled, SlugClaimed, SlugReleased,
};
pub use content_types::{ContentTypeDefined, ContentTypeRevised};
pub use engagement::{Engagement, Share};
pub use keys::{ApiKeyIssued, ApiKeyRevoked, Role};
pub use requests::IdempotentRequestRecorded;

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A content item's id (UUIDv7, assigned when it is created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentId(pub Uuid);

/// A comment's id (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommentId(pub Uuid);

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
