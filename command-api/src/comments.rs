//! Comments: one stream per comment (`comment-<id>`), so edits and removals never contend with
//! new posts on a busy item. A reply names its parent; threads may nest to any depth.

use crate::violation::Violation;
use events::payloads::{CommentEdited, CommentId, CommentPosted, CommentRemoved, ContentId};
use events::{Category, DomainEvent, StreamId, StreamIdError, TypeName, UserId};

pub const MAX_BODY_CHARS: usize = 10_000;
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentState {
    pub posted: Option<CommentPosted>,
    pub removed: bool,
}

pub fn evolve(mut state: CommentState, event: &DomainEvent) -> CommentState {
    match event {
        DomainEvent::CommentPosted(posted) => state.posted = Some(posted.clone()),
        DomainEvent::CommentEdited(edited) => {
            if let Some(posted) = state.posted.as_mut() {
                posted.body = edited.body.clone();
            }
        }
        DomainEvent::CommentRemoved(_) => state.removed = true,
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
        | DomainEvent::ContentViewed(_)
        | DomainEvent::ContentLiked(_)
        | DomainEvent::ContentUnliked(_)
        | DomainEvent::ContentShared(_)
        | DomainEvent::ContentBookmarked(_)
        | DomainEvent::ContentUnbookmarked(_)
        | DomainEvent::ApiKeyIssued(_)
        | DomainEvent::ApiKeyRevoked(_)
        | DomainEvent::IdempotentRequestRecorded(_) => {}
    }
    state
}

pub fn stream(id: CommentId) -> Result<StreamId, StreamIdError> {
    StreamId::new(&Category::parse("comment")?, id)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("no such comment")]
    NotFound,
    #[error("the comment was removed")]
    Removed,
    #[error("only the comment's author may do this")]
    NotAuthor,
    #[error("{} rule(s) broken", .0.len())]
    Invalid(Vec<Violation>),
}

pub fn check_body(body: &str) -> Result<(), CommentError> {
    let length = body.chars().count();
    let problem = if body.trim().is_empty() {
        Some(("empty_body", "a comment has text".to_owned()))
    } else if length > MAX_BODY_CHARS {
        Some(("too_long", format!("at most {MAX_BODY_CHARS} characters, got {length}")))
    } else if body.contains('\0') {
        Some(("bad_character", "text cannot contain the NUL character".to_owned()))
    } else {
        None
    };
    match problem {
        Some((code, message)) => Err(CommentError::Invalid(vec![Violation::new("body", code, message)])),
        None => Ok(()),
    }
}

/// Posts `body` by `author` on an item; a reply's parent must be a live comment of that item.
pub fn decide_post(
    id: CommentId,
    content_type: TypeName,
    content_id: ContentId,
    parent: Option<(CommentId, &CommentState)>,
    author: UserId,
    body: String,
) -> Result<DomainEvent, CommentError> {
    check_body(&body)?;
    if let Some((parent_id, parent)) = parent {
        let same_item = parent.posted.as_ref().is_some_and(|p| p.content_id == content_id);
        if !same_item || parent.removed {
            return Err(CommentError::Invalid(vec![Violation::new(
                "parent_id",
                "unknown_parent",
                format!("no live comment {parent_id} on this item"),
            )]));
        }
    }
    let parent_id = parent.map(|(id, _)| id);
    Ok(DomainEvent::CommentPosted(CommentPosted { comment_id: id, content_type, content_id, parent_id, author, body }))
}

fn live(state: &CommentState) -> Result<&CommentPosted, CommentError> {
    let posted = state.posted.as_ref().ok_or(CommentError::NotFound)?;
    if state.removed {
        return Err(CommentError::Removed);
    }
    Ok(posted)
}

/// Only the author edits. Editing to the same text appends nothing.
pub fn decide_edit(state: &CommentState, by: &UserId, body: String) -> Result<Option<DomainEvent>, CommentError> {
    let posted = live(state)?;
    if &posted.author != by {
        return Err(CommentError::NotAuthor);
    }
    check_body(&body)?;
    if posted.body == body {
        return Ok(None);
    }
    Ok(Some(DomainEvent::CommentEdited(CommentEdited {
        comment_id: posted.comment_id,
        content_type: posted.content_type.clone(),
        content_id: posted.content_id,
        body,
    })))
}

/// Who removes: the author (`Some(user)`) or a moderator (`None`). Removing twice appends nothing.
pub fn decide_remove(
    state: &CommentState,
    by: Option<&UserId>,
    reason: Option<String>,
) -> Result<Option<DomainEvent>, CommentError> {
    let posted = state.posted.as_ref().ok_or(CommentError::NotFound)?;
    if by.is_some_and(|user| user != &posted.author) {
        return Err(CommentError::NotAuthor);
    }
    if state.removed {
        return Ok(None);
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON_CHARS || r.contains('\0')) {
        return Err(CommentError::Invalid(vec![Violation::new(
            "reason",
            "too_long",
            format!("a reason is at most {MAX_REASON_CHARS} characters"),
        )]));
    }
    Ok(Some(DomainEvent::CommentRemoved(CommentRemoved {
        comment_id: posted.comment_id,
        content_type: posted.content_type.clone(),
        content_id: posted.content_id,
        reason,
    })))
}
