//! Writing domain events straight into the event store, as the command API would.

use chrono::{DateTime, TimeZone, Utc};
use events::payloads::{
    ApiKeyIssued, ApiKeyRevoked, CommentEdited, CommentId, CommentPosted, CommentRemoved, ContentCreated, ContentId,
    ContentPublished, ContentRef, ContentRevised, ContentScheduled, ContentTypeDefined, ContentTypeRevised, Engagement,
    Role, Share,
};
use events::{DomainEvent, EventId, ExpectedVersion, Metadata, Position, Slug, StreamId, TypeName, UserId};
use infra::EventStore;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

pub struct World {
    store: Arc<dyn EventStore>,
    next_id: AtomicU64,
}

/// A fixed time `minutes` after 2024-01-01T00:00:00Z.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

impl World {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, next_id: AtomicU64::new(1) }
    }

    /// Deterministic, time-ordered ids so snapshots and threads are stable.
    pub fn id(&self) -> Uuid {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(n) << 16)
    }

    pub async fn append(&self, stream: &str, event: DomainEvent) -> Position {
        let new = event.to_new_event(EventId::now_v7(), Metadata::default()).unwrap();
        let result =
            self.store.append(StreamId::parse(stream).unwrap(), ExpectedVersion::Any, vec![new]).await.unwrap();
        result.events.last().unwrap().position
    }

    pub async fn define(&self, name: &str, definition: Value) {
        let event = DomainEvent::ContentTypeDefined(ContentTypeDefined {
            type_name: TypeName::parse(name).unwrap(),
            definition: serde_json::from_value(definition).unwrap(),
        });
        self.append(&format!("type-{name}"), event).await;
    }

    pub async fn revise_type(&self, name: &str, definition: Value) {
        let event = DomainEvent::ContentTypeRevised(ContentTypeRevised {
            type_name: TypeName::parse(name).unwrap(),
            definition: serde_json::from_value(definition).unwrap(),
        });
        self.append(&format!("type-{name}"), event).await;
    }

    pub async fn create(&self, type_name: &str, slug: &str, fields: Value) -> Uuid {
        let id = self.id();
        let event = DomainEvent::ContentCreated(ContentCreated {
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(id),
            slug: Slug::parse(slug).unwrap(),
            fields: fields.as_object().unwrap().clone(),
        });
        self.append(&format!("content-{id}"), event).await;
        id
    }

    pub async fn revise(&self, type_name: &str, id: Uuid, fields: Value) {
        let event = DomainEvent::ContentRevised(ContentRevised {
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(id),
            fields: fields.as_object().unwrap().clone(),
            slug: None,
        });
        self.append(&format!("content-{id}"), event).await;
    }

    pub async fn publish(&self, type_name: &str, id: Uuid, minutes: i64) {
        let event = DomainEvent::ContentPublished(ContentPublished {
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(id),
            published_at: at(minutes),
        });
        self.append(&format!("content-{id}"), event).await;
    }

    pub async fn schedule(&self, type_name: &str, id: Uuid, minutes: i64) {
        let event = DomainEvent::ContentScheduled(ContentScheduled {
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(id),
            publish_at: at(minutes),
        });
        self.append(&format!("content-{id}"), event).await;
    }

    fn content_ref(type_name: &str, id: Uuid) -> ContentRef {
        ContentRef { content_type: TypeName::parse(type_name).unwrap(), content_id: ContentId(id) }
    }

    pub async fn unpublish(&self, type_name: &str, id: Uuid) {
        self.append(&format!("content-{id}"), DomainEvent::ContentUnpublished(Self::content_ref(type_name, id))).await;
    }

    pub async fn archive(&self, type_name: &str, id: Uuid) {
        self.append(&format!("content-{id}"), DomainEvent::ContentArchived(Self::content_ref(type_name, id))).await;
    }

    pub async fn comment(&self, type_name: &str, item: Uuid, parent: Option<Uuid>, author: &str, body: &str) -> Uuid {
        let id = self.id();
        let event = DomainEvent::CommentPosted(CommentPosted {
            comment_id: CommentId(id),
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(item),
            parent_id: parent.map(CommentId),
            author: UserId::parse(author).unwrap(),
            body: body.to_owned(),
        });
        self.append(&format!("comment-{id}"), event).await;
        id
    }

    pub async fn edit_comment(&self, type_name: &str, item: Uuid, id: Uuid, body: &str) {
        let event = DomainEvent::CommentEdited(CommentEdited {
            comment_id: CommentId(id),
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(item),
            body: body.to_owned(),
        });
        self.append(&format!("comment-{id}"), event).await;
    }

    pub async fn remove_comment(&self, type_name: &str, item: Uuid, id: Uuid) {
        let event = DomainEvent::CommentRemoved(CommentRemoved {
            comment_id: CommentId(id),
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(item),
            reason: None,
        });
        self.append(&format!("comment-{id}"), event).await;
    }

    pub fn engagement(type_name: &str, item: Uuid, user: &str, minutes: i64) -> Engagement {
        Engagement {
            content_type: TypeName::parse(type_name).unwrap(),
            content_id: ContentId(item),
            user: UserId::parse(user).unwrap(),
            at: at(minutes),
        }
    }

    pub async fn view(&self, type_name: &str, item: Uuid, user: &str, minutes: i64) -> Position {
        let event = DomainEvent::ContentViewed(Self::engagement(type_name, item, user, minutes));
        self.append(&format!("activity-{user}"), event).await
    }

    pub async fn share(&self, type_name: &str, item: Uuid, user: &str, minutes: i64) {
        let e = Self::engagement(type_name, item, user, minutes);
        let event = DomainEvent::ContentShared(Share {
            content_type: e.content_type,
            content_id: e.content_id,
            user: e.user,
            at: e.at,
            channel: Some("email".into()),
        });
        self.append(&format!("activity-{user}"), event).await;
    }

    /// like/unlike/bookmark/unbookmark, on the (item, user) toggles stream.
    pub async fn toggle(&self, kind: &str, type_name: &str, item: Uuid, user: &str, minutes: i64) {
        let e = Self::engagement(type_name, item, user, minutes);
        let event = match kind {
            "like" => DomainEvent::ContentLiked(e),
            "unlike" => DomainEvent::ContentUnliked(e),
            "bookmark" => DomainEvent::ContentBookmarked(e),
            "unbookmark" => DomainEvent::ContentUnbookmarked(e),
            other => panic!("no toggle {other}"),
        };
        self.append(&format!("engagement-{item}:{user}"), event).await;
    }

    /// The lowercase hex SHA-256 a key `n` is issued with (any 64 hex digits do here).
    pub fn key_hash(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    /// Issues key `id` with secret hash `key_hash(n)`, on its `apikey-<uuid>` stream.
    pub async fn issue_key_as(&self, id: Uuid, role: Role, n: u8, label: Option<&str>) {
        let event = DomainEvent::ApiKeyIssued(ApiKeyIssued {
            key_id: id,
            role,
            secret_sha256: Self::key_hash(n),
            label: label.map(str::to_owned),
        });
        self.append(&format!("apikey-{id}"), event).await;
    }

    pub async fn issue_key(&self, role: Role, n: u8, label: Option<&str>) -> Uuid {
        let id = self.id();
        self.issue_key_as(id, role, n, label).await;
        id
    }

    pub async fn revoke_key(&self, id: Uuid) {
        self.append(&format!("apikey-{id}"), DomainEvent::ApiKeyRevoked(ApiKeyRevoked { key_id: id })).await;
    }

    /// The blog every case starts from: authors, a category tree, tags and an article type.
    pub async fn blog_types(&self) {
        self.define(
            "author",
            json!({"fields": [
            {"name": "name", "kind": "string", "required": true, "sortable": true},
            {"name": "bio", "kind": "string", "max_length": 500}
        ], "slug_from": "name"}),
        )
        .await;
        self.define(
            "category",
            json!({"fields": [
            {"name": "name", "kind": "string", "required": true},
            {"name": "parent", "kind": "parent", "filterable": true}
        ], "slug_from": "name"}),
        )
        .await;
        self.define(
            "tag",
            json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"}),
        )
        .await;
        self.define(
            "article",
            json!({"fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 200, "sortable": true},
            {"name": "summary", "kind": "string", "max_length": 300},
            {"name": "body", "kind": "rich_text"},
            {"name": "rating", "kind": "integer", "filterable": true, "sortable": true},
            {"name": "featured", "kind": "boolean", "filterable": true},
            {"name": "section", "kind": "enum", "values": ["news", "opinion"], "filterable": true},
            {"name": "event_on", "kind": "datetime", "sortable": true},
            {"name": "cover", "kind": "media"},
            {"name": "extra", "kind": "json"},
            {"name": "author", "kind": "reference", "target": "author", "filterable": true},
            {"name": "category", "kind": "reference", "target": "category", "filterable": true},
            {"name": "tags", "kind": "references", "target": "tag", "filterable": true}
        ], "slug_from": "title"}),
        )
        .await;
    }
}
