use super::{CommentId, ContentId};
use crate::names::{TypeName, UserId};
use serde::{Deserialize, Serialize};

/// A comment was posted on an item, optionally as a reply to another comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentPosted {
    pub comment_id: CommentId,
    pub content_type: TypeName,
    pub content_id: ContentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CommentId>,
    pub author: UserId,
    pub body: String,
}

/// A comment's body was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEdited {
    pub comment_id: CommentId,
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub body: String,
}

/// A comment was removed (by its author or a moderator); replies stay in the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRemoved {
    pub comment_id: CommentId,
    pub content_type: TypeName,
    pub content_id: ContentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
