//! An item as the content projection keeps it, and how content events change it. Pure.

use crate::time::truncate;
use chrono::{DateTime, Utc};
use events::DomainEvent;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Lifecycle states, as stored in `content_items.status`.
pub const DRAFT: &str = "draft";
pub const SCHEDULED: &str = "scheduled";
pub const PUBLISHED: &str = "published";
pub const ARCHIVED: &str = "archived";

/// One item's stored state (a `content_items` row without its rendered columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Uuid,
    pub type_name: String,
    pub slug: String,
    pub status: &'static str,
    pub version: i64,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub publish_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub fields: Map<String, Value>,
    /// What documents that reference this item embed, as last rendered (JSON text).
    pub embed: String,
}

pub fn status_from_str(status: &str) -> &'static str {
    match status {
        SCHEDULED => SCHEDULED,
        PUBLISHED => PUBLISHED,
        ARCHIVED => ARCHIVED,
        _ => DRAFT,
    }
}

/// The item a content event is about, if it is a content event.
pub fn subject(event: &DomainEvent) -> Option<Uuid> {
    match event {
        DomainEvent::ContentCreated(e) => Some(e.content_id.0),
        DomainEvent::ContentRevised(e) => Some(e.content_id.0),
        DomainEvent::ContentPublished(e) => Some(e.content_id.0),
        DomainEvent::ContentScheduled(e) => Some(e.content_id.0),
        DomainEvent::ContentUnpublished(e) | DomainEvent::ContentArchived(e) => Some(e.content_id.0),
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
        | DomainEvent::IdempotentRequestRecorded(_) => None,
    }
}

/// Applies one content event. `item` is None before `ContentCreated`; any other event for an
/// unknown item is an error (the command side never writes one).
pub fn evolve(
    item: Option<Item>,
    event: &DomainEvent,
    stream_version: u64,
    position: u64,
    at: DateTime<Utc>,
) -> Result<Item, String> {
    let at = truncate(at);
    let version = i64::try_from(stream_version).unwrap_or(i64::MAX);
    let position = i64::try_from(position).unwrap_or(i64::MAX);
    if let DomainEvent::ContentCreated(e) = event {
        return Ok(Item {
            id: e.content_id.0,
            type_name: e.content_type.to_string(),
            slug: e.slug.to_string(),
            status: DRAFT,
            version,
            position,
            created_at: at,
            updated_at: at,
            published_at: None,
            publish_at: None,
            archived_at: None,
            fields: e.fields.clone(),
            embed: String::new(),
        });
    }
    let Some(mut item) = item else {
        return Err(format!("{} for an item that was never created", event.event_type()));
    };
    item.version = version;
    item.position = position;
    item.updated_at = at;
    match event {
        DomainEvent::ContentRevised(e) => {
            for (name, value) in &e.fields {
                if value.is_null() {
                    item.fields.remove(name);
                } else {
                    item.fields.insert(name.clone(), value.clone());
                }
            }
            if let Some(slug) = &e.slug {
                item.slug = slug.to_string();
            }
        }
        DomainEvent::ContentPublished(e) => {
            item.status = PUBLISHED;
            item.published_at = Some(truncate(e.published_at));
            item.publish_at = None;
        }
        DomainEvent::ContentUnpublished(_) => {
            item.status = DRAFT;
            item.publish_at = None;
        }
        DomainEvent::ContentScheduled(e) => {
            item.status = SCHEDULED;
            item.publish_at = Some(truncate(e.publish_at));
        }
        DomainEvent::ContentArchived(_) => {
            item.status = ARCHIVED;
            item.publish_at = None;
            item.archived_at = Some(at);
        }
        DomainEvent::ContentCreated(_)
        | DomainEvent::ContentTypeDefined(_)
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
    Ok(item)
}
