use super::ContentId;
use crate::names::{Slug, TypeName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The item an event is about. Also the whole payload of events that carry nothing else
/// (ContentUnpublished, ContentArchived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRef {
    pub content_type: TypeName,
    pub content_id: ContentId,
}

/// An item was created as a draft with these field values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentCreated {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub slug: Slug,
    pub fields: Map<String, Value>,
}

/// Some fields changed. `fields` holds only the changed ones; `null` clears a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentRevised {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub fields: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<Slug>,
}

/// The item became public at `published_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentPublished {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub published_at: DateTime<Utc>,
}

/// The item is to be published at `publish_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentScheduled {
    pub content_type: TypeName,
    pub content_id: ContentId,
    pub publish_at: DateTime<Utc>,
}

/// A slug was taken by an item, in the slug's own stream (`slug-<type>:<slug>`). Appended in the
/// same transaction as the item's event, so two items can never hold one slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlugClaimed {
    pub content_type: TypeName,
    pub slug: Slug,
    pub content_id: ContentId,
}

/// An item let its slug go (it took another); the slug may be claimed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlugReleased {
    pub content_type: TypeName,
    pub slug: Slug,
    pub content_id: ContentId,
}
