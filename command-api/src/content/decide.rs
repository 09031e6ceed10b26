//! The content lifecycle as pure decisions: given the item's state (and its type), what to append.
//! `Ok(None)` means the command changes nothing, so nothing is appended and the call is idempotent.

use super::fields::{check_fields, Mode, Reference};
use super::slug::slugify;
use super::state::{ContentState, Status};
use crate::violation::Violation;
use chrono::{DateTime, Utc};
use events::payloads::{ContentCreated, ContentId, ContentPublished, ContentRef, ContentRevised, ContentScheduled};
use events::schema::TypeDefinition;
use events::{DomainEvent, Slug, TypeName};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContentError {
    #[error("no such item")]
    NotFound,
    #[error("the item is archived")]
    Archived,
    #[error("the item is already published")]
    AlreadyPublished,
    #[error("{} rule(s) broken", .0.len())]
    Invalid(Vec<Violation>),
}

/// A create's event, the slug it claims, and the references to resolve before appending.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    pub event: DomainEvent,
    pub slug: Slug,
    pub references: Vec<Reference>,
}

pub fn decide_create(
    content_type: &TypeName,
    definition: &TypeDefinition,
    id: ContentId,
    fields: Map<String, Value>,
    slug: Option<Slug>,
) -> Result<Create, ContentError> {
    let references = check_fields(content_type, definition, &fields, Mode::Create).map_err(ContentError::Invalid)?;
    let derived = || {
        let source = definition.slug_from.as_ref()?;
        slugify(fields.get(source.as_str())?.as_str()?)
    };
    let slug = slug.or_else(derived).ok_or_else(|| {
        ContentError::Invalid(vec![Violation::new(
            "slug",
            "slug_required",
            "give a slug, or define slug_from on the type and fill that field with text that has letters or digits",
        )])
    })?;
    let event = DomainEvent::ContentCreated(ContentCreated {
        content_type: content_type.clone(),
        content_id: id,
        slug: slug.clone(),
        fields,
    });
    Ok(Create { event, slug, references })
}

/// A revision's event, with the references to resolve and the slug it moves from and to.
#[derive(Debug, Clone, PartialEq)]
pub struct Revise {
    pub event: DomainEvent,
    pub references: Vec<Reference>,
    pub slug_change: Option<(Slug, Slug)>,
}

fn live(state: &ContentState) -> Result<&TypeName, ContentError> {
    let content_type = state.content_type.as_ref().ok_or(ContentError::NotFound)?;
    if state.status == Status::Archived {
        return Err(ContentError::Archived);
    }
    Ok(content_type)
}

pub fn decide_revise(
    state: &ContentState,
    definition: &TypeDefinition,
    id: ContentId,
    fields: Map<String, Value>,
    slug: Option<Slug>,
) -> Result<Option<Revise>, ContentError> {
    let content_type = live(state)?;
    if fields.is_empty() && slug.is_none() {
        return Err(ContentError::Invalid(vec![Violation::new(
            "fields",
            "empty_revision",
            "a revision changes at least one field or the slug",
        )]));
    }
    let references = check_fields(content_type, definition, &fields, Mode::Revise).map_err(ContentError::Invalid)?;
    let changed: Map<String, Value> =
        fields.into_iter().filter(|(name, value)| state.fields.get(name).unwrap_or(&Value::Null) != value).collect();
    let slug_change = match (&state.slug, slug) {
        (Some(old), Some(new)) if *old != new => Some((old.clone(), new)),
        _ => None,
    };
    if changed.is_empty() && slug_change.is_none() {
        return Ok(None);
    }
    let touched = |path: &str| {
        changed.keys().any(|k| {
            let field = format!("fields.{k}");
            path == field || path.strip_prefix(&field).is_some_and(|rest| rest.starts_with('['))
        })
    };
    let references = references.into_iter().filter(|r| touched(&r.path)).collect();
    let event = DomainEvent::ContentRevised(ContentRevised {
        content_type: content_type.clone(),
        content_id: id,
        fields: changed,
        slug: slug_change.as_ref().map(|(_, new)| new.clone()),
    });
    Ok(Some(Revise { event, references, slug_change }))
}

fn item(content_type: &TypeName, id: ContentId) -> ContentRef {
    ContentRef { content_type: content_type.clone(), content_id: id }
}

/// Publish now. Publishing a published item changes nothing.
pub fn decide_publish(
    state: &ContentState,
    id: ContentId,
    now: DateTime<Utc>,
) -> Result<Option<DomainEvent>, ContentError> {
    let content_type = live(state)?;
    Ok(match state.status {
        Status::Published => None,
        Status::Draft | Status::Scheduled | Status::Archived => Some(DomainEvent::ContentPublished(ContentPublished {
            content_type: content_type.clone(),
            content_id: id,
            published_at: now,
        })),
    })
}

/// Back to draft; also cancels a schedule. An item that is neither published nor scheduled is
/// left as it is.
pub fn decide_unpublish(state: &ContentState, id: ContentId) -> Result<Option<DomainEvent>, ContentError> {
    let content_type = live(state)?;
    Ok(match state.status {
        Status::Published | Status::Scheduled => Some(DomainEvent::ContentUnpublished(item(content_type, id))),
        Status::Draft | Status::Archived => None,
    })
}

/// Publish later, at `at` (strictly in the future). A published item must be unpublished first.
pub fn decide_schedule(
    state: &ContentState,
    id: ContentId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DomainEvent>, ContentError> {
    let content_type = live(state)?;
    if at <= now {
        return Err(ContentError::Invalid(vec![Violation::new(
            "publish_at",
            "publish_at_in_past",
            "a schedule is for a time in the future; publish now instead",
        )]));
    }
    match state.status {
        Status::Published => Err(ContentError::AlreadyPublished),
        Status::Scheduled if state.publish_at == Some(at) => Ok(None),
        Status::Draft | Status::Scheduled | Status::Archived => {
            Ok(Some(DomainEvent::ContentScheduled(ContentScheduled {
                content_type: content_type.clone(),
                content_id: id,
                publish_at: at,
            })))
        }
    }
}

/// Archive: the item leaves every public list and can no longer be referenced or changed.
/// Archiving an archived item changes nothing.
pub fn decide_archive(state: &ContentState, id: ContentId) -> Result<Option<DomainEvent>, ContentError> {
    let content_type = state.content_type.as_ref().ok_or(ContentError::NotFound)?;
    Ok(match state.status {
        Status::Archived => None,
        Status::Draft | Status::Scheduled | Status::Published => {
            Some(DomainEvent::ContentArchived(item(content_type, id)))
        }
    })
}

/// Whether making `parent` the parent of `item` closes a loop. `ancestors_of_parent` is the
/// chain parent, grandparent, ... as loaded by the caller.
pub fn creates_cycle(item: ContentId, parent: ContentId, ancestors_of_parent: &[ContentId]) -> bool {
    parent == item || ancestors_of_parent.contains(&item)
}
