//! An item's state, folded from its stream (`content-<id>`), and a slug's, from `slug-<type>:<slug>`.

use chrono::{DateTime, Utc};
use events::payloads::ContentId;
use events::{Category, DomainEvent, Slug, StreamId, StreamIdError, TypeName};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Draft,
    Scheduled,
    Published,
    Archived,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentState {
    /// `None` until the item is created.
    pub content_type: Option<TypeName>,
    pub slug: Option<Slug>,
    pub fields: Map<String, Value>,
    pub status: Status,
    /// The actor that created the item (`key:<id>`): an author key may change only its own items.
    pub owner: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub publish_at: Option<DateTime<Utc>>,
}

impl ContentState {
    pub fn exists(&self) -> bool {
        self.content_type.is_some()
    }
}

/// Folds one event of an item's stream; `actor` is the event's metadata actor.
pub fn evolve(mut state: ContentState, event: &DomainEvent, actor: Option<&str>) -> ContentState {
    match event {
        DomainEvent::ContentCreated(e) => {
            state.content_type = Some(e.content_type.clone());
            state.slug = Some(e.slug.clone());
            state.fields = e.fields.clone();
            state.status = Status::Draft;
            state.owner = actor.map(str::to_owned);
        }
        DomainEvent::ContentRevised(e) => {
            for (name, value) in &e.fields {
                if value.is_null() {
                    state.fields.remove(name);
                } else {
                    state.fields.insert(name.clone(), value.clone());
                }
            }
            if let Some(slug) = &e.slug {
                state.slug = Some(slug.clone());
            }
        }
        DomainEvent::ContentPublished(e) => {
            state.status = Status::Published;
            state.published_at = Some(e.published_at);
            state.publish_at = None;
        }
        DomainEvent::ContentUnpublished(_) => {
            state.status = Status::Draft;
            state.publish_at = None;
        }
        DomainEvent::ContentScheduled(e) => {
            state.status = Status::Scheduled;
            state.publish_at = Some(e.publish_at);
        }
        DomainEvent::ContentArchived(_) => {
            state.status = Status::Archived;
            state.publish_at = None;
        }
        DomainEvent::ContentTypeDefined(_)
        | DomainEvent::ContentTypeRevised(_)
        | DomainEvent::SlugClaimed(_)
        | DomainEvent::SlugReleased(_)
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
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

/// Who holds a slug now, folded from the slug's stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlugState {
    pub holder: Option<ContentId>,
}

pub fn evolve_slug(mut state: SlugState, event: &DomainEvent) -> SlugState {
    match event {
        DomainEvent::SlugClaimed(e) => state.holder = Some(e.content_id),
        DomainEvent::SlugReleased(_) => state.holder = None,
        DomainEvent::ContentTypeDefined(_)
        | DomainEvent::ContentTypeRevised(_)
        | DomainEvent::ContentCreated(_)
        | DomainEvent::ContentRevised(_)
        | DomainEvent::ContentPublished(_)
        | DomainEvent::ContentUnpublished(_)
        | DomainEvent::ContentScheduled(_)
        | DomainEvent::ContentArchived(_)
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
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

pub fn content_stream(id: ContentId) -> Result<StreamId, StreamIdError> {
    StreamId::new(&Category::parse("content")?, id)
}

pub fn slug_stream(content_type: &TypeName, slug: &Slug) -> Result<StreamId, StreamIdError> {
    StreamId::new(&Category::parse("slug")?, format!("{content_type}:{slug}"))
}
