//! The content model both datasets use, and the events the command API writes for each action,
//! built with its own pure decisions (`decide_create`, `decide_post`, `engagement::view`) and
//! stream names, so seeded events are exactly what HTTP calls would have appended.
//!
//! - A type: `ContentTypeDefined` on `type-<name>`, version 1.
//! - An item: `ContentCreated` on `content-<id>` (version 1) and `SlugClaimed` on
//!   `slug-<type>:<slug>` (version 1), one `append_all` in the API; then `ContentPublished` or
//!   `ContentScheduled` on the item's stream (version 2).
//! - A comment: `CommentPosted` on `comment-<id>`, version 1.
//! - A view: `ContentViewed` on `activity-<user>`, the next version of that user's stream.
//! - A like: `ContentLiked` on `engagement-<item>:<user>`, version 1.
//!
//! Every event's metadata names the actor `seed`.

use super::ids::{seeded, Dataset, Entity, Fact};
use super::SeedError;
use chrono::{DateTime, Utc};
use command_api::content::{content_stream, decide_create, slug_stream};
use events::payloads::{CommentId, ContentId, ContentPublished, ContentScheduled, ContentTypeDefined, SlugClaimed};
use events::schema::TypeDefinition;
use events::{DomainEvent, EventId, Metadata, StreamId, StreamVersion, TypeName, UserId};
use infra::ImportedEvent;
use serde_json::{json, Map, Value};

/// The actor in every seeded event's metadata.
pub const ACTOR: &str = "seed";

/// The four content types, in definition order (targets before the types that reference them).
pub fn type_definitions() -> Vec<(&'static str, Value)> {
    vec![
        (
            "author",
            json!({"fields": [
                {"name": "name", "kind": "string", "required": true, "max_length": 200, "sortable": true},
                {"name": "bio", "kind": "text", "max_length": 10000}
            ], "slug_from": "name"}),
        ),
        (
            "category",
            json!({"fields": [
                {"name": "name", "kind": "string", "required": true, "max_length": 200, "sortable": true},
                {"name": "parent", "kind": "parent", "filterable": true}
            ], "slug_from": "name"}),
        ),
        (
            "tag",
            json!({"fields": [
                {"name": "name", "kind": "string", "required": true, "max_length": 100, "sortable": true}
            ], "slug_from": "name"}),
        ),
        (
            "article",
            json!({"fields": [
                {"name": "title", "kind": "string", "required": true, "max_length": 200},
                {"name": "summary", "kind": "text", "max_length": 1000},
                {"name": "body", "kind": "text", "listed": false},
                {"name": "author", "kind": "reference", "target": "author", "filterable": true},
                {"name": "category", "kind": "reference", "target": "category", "filterable": true},
                {"name": "tags", "kind": "references", "target": "tag", "filterable": true}
            ], "slug_from": "title"}),
        ),
    ]
}

/// The typed definitions, parsed once.
#[derive(Debug, Clone)]
pub struct Types {
    pub author: (TypeName, TypeDefinition),
    pub category: (TypeName, TypeDefinition),
    pub tag: (TypeName, TypeDefinition),
    pub article: (TypeName, TypeDefinition),
}

impl Types {
    pub fn new() -> Result<Self, SeedError> {
        let mut parsed = Vec::new();
        for (name, definition) in type_definitions() {
            parsed.push((TypeName::parse(name)?, serde_json::from_value::<TypeDefinition>(definition)?));
        }
        let mut parsed = parsed.into_iter();
        let mut next = || parsed.next().ok_or_else(|| SeedError::invalid("types", "missing definition"));
        Ok(Self { author: next()?, category: next()?, tag: next()?, article: next()? })
    }

    fn all(&self) -> [&(TypeName, TypeDefinition); 4] {
        [&self.author, &self.category, &self.tag, &self.article]
    }
}

/// Builds the seeded form of `event`.
pub fn imported(
    stream: StreamId,
    stream_version: StreamVersion,
    event_id: uuid::Uuid,
    at: DateTime<Utc>,
    event: &DomainEvent,
) -> Result<ImportedEvent, SeedError> {
    let stored = event.to_stored()?;
    Ok(ImportedEvent {
        event_id: EventId(event_id),
        stream_id: stream,
        stream_version,
        event_type: stored.event_type,
        schema_version: stored.schema_version,
        data: stored.data,
        metadata: Metadata { actor: Some(ACTOR.into()), ..Metadata::default() },
        recorded_at: at,
    })
}

/// `ContentTypeDefined` for each type, at `at` plus one second per type.
pub fn define_types(dataset: Dataset, types: &Types, at: DateTime<Utc>) -> Result<Vec<ImportedEvent>, SeedError> {
    let mut events = Vec::new();
    for (n, (name, definition)) in (1u64..).zip(types.all()) {
        let at = at + chrono::Duration::seconds(n as i64);
        let stream = StreamId::parse(format!("type-{name}"))?;
        let event = DomainEvent::ContentTypeDefined(ContentTypeDefined {
            type_name: name.clone(),
            definition: definition.clone(),
        });
        events.push(imported(stream, 1, seeded(dataset, Fact::Defined, Entity::ContentType, at, n), at, &event)?);
    }
    Ok(events)
}

/// What happens to an item after it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Draft,
    Published(DateTime<Utc>),
    Scheduled(DateTime<Utc>),
}

/// One item of a type: who it is, when it was created, its fields and its lifecycle.
#[derive(Debug)]
pub struct Item<'a> {
    pub dataset: Dataset,
    pub entity: Entity,
    pub number: u64,
    pub id: ContentId,
    pub content_type: &'a (TypeName, TypeDefinition),
    pub created_at: DateTime<Utc>,
    pub fields: Map<String, Value>,
    pub lifecycle: Lifecycle,
}

/// The id of item `number` of `entity` created at `created_at`.
pub fn item_id(dataset: Dataset, entity: Entity, created_at: DateTime<Utc>, number: u64) -> ContentId {
    ContentId(seeded(dataset, Fact::Identity, entity, created_at, number))
}

/// The item's events: created + slug claimed, then published or scheduled.
pub fn item_events(item: Item<'_>, out: &mut Vec<ImportedEvent>) -> Result<(), SeedError> {
    let (name, definition) = item.content_type;
    let event_id = |fact, at| seeded(item.dataset, fact, item.entity, at, item.number);
    let create = decide_create(name, definition, item.id, item.fields, None)
        .map_err(|e| SeedError::invalid("item", format!("{} {}: {e:?}", name, item.number)))?;
    let stream = content_stream(item.id)?;
    let at = item.created_at;
    out.push(imported(stream.clone(), 1, event_id(Fact::Created, at), at, &create.event)?);
    let claim = DomainEvent::SlugClaimed(SlugClaimed {
        content_type: name.clone(),
        slug: create.slug.clone(),
        content_id: item.id,
    });
    out.push(imported(slug_stream(name, &create.slug)?, 1, event_id(Fact::SlugClaimed, at), at, &claim)?);
    match item.lifecycle {
        Lifecycle::Draft => {}
        Lifecycle::Published(published_at) => {
            let event = DomainEvent::ContentPublished(ContentPublished {
                content_type: name.clone(),
                content_id: item.id,
                published_at,
            });
            out.push(imported(stream, 2, event_id(Fact::Published, published_at), published_at, &event)?);
        }
        Lifecycle::Scheduled(publish_at) => {
            let event = DomainEvent::ContentScheduled(ContentScheduled {
                content_type: name.clone(),
                content_id: item.id,
                publish_at,
            });
            out.push(imported(stream, 2, event_id(Fact::Scheduled, at), at, &event)?);
        }
    }
    Ok(())
}

/// A comment's `CommentPosted`, checked by the command API's rules.
#[derive(Debug)]
pub struct Comment {
    pub dataset: Dataset,
    pub number: u64,
    pub article: ContentId,
    pub article_type: TypeName,
    pub parent: Option<CommentId>,
    pub author: UserId,
    pub body: String,
    pub at: DateTime<Utc>,
}

impl Comment {
    pub fn id(&self) -> CommentId {
        CommentId(seeded(self.dataset, Fact::Identity, Entity::Comment, self.at, self.number))
    }

    pub fn event(self) -> Result<ImportedEvent, SeedError> {
        let id = self.id();
        let event_id = seeded(self.dataset, Fact::CommentPosted, Entity::Comment, self.at, self.number);
        check_comment(&self.body)?;
        let event = DomainEvent::CommentPosted(events::payloads::CommentPosted {
            comment_id: id,
            content_type: self.article_type,
            content_id: self.article,
            parent_id: self.parent,
            author: self.author,
            body: self.body,
        });
        imported(command_api::comments::stream(id)?, 1, event_id, self.at, &event)
    }
}

fn check_comment(body: &str) -> Result<(), SeedError> {
    command_api::comments::check_body(body).map_err(|e| SeedError::invalid("comment", e.to_string()))
}

/// `ContentViewed` of `item` by `user` at `at`: view number `number` of the dataset, version
/// `version` of the user's activity stream.
pub fn view(
    dataset: Dataset,
    number: u64,
    item: (&TypeName, ContentId),
    user: &UserId,
    version: StreamVersion,
    at: DateTime<Utc>,
) -> Result<ImportedEvent, SeedError> {
    let event = command_api::engagement::view(item.0.clone(), item.1, user.clone(), at);
    let stream = command_api::engagement::activity_stream(user)?;
    imported(stream, version, seeded(dataset, Fact::Viewed, Entity::User, at, number), at, &event)
}

/// `ContentLiked` of `item` by `user` at `at`: the first event of its `engagement-<item>:<user>`
/// stream (a like of an item the user never liked).
pub fn like(
    dataset: Dataset,
    number: u64,
    item: (&TypeName, ContentId),
    user: &UserId,
    at: DateTime<Utc>,
) -> Result<ImportedEvent, SeedError> {
    let engagement =
        events::payloads::Engagement { content_type: item.0.clone(), content_id: item.1, user: user.clone(), at };
    let event = DomainEvent::ContentLiked(engagement);
    let stream = command_api::engagement::toggles_stream(item.1, user)?;
    imported(stream, 1, seeded(dataset, Fact::Liked, Entity::User, at, number), at, &event)
}
