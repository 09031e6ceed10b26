//! One fixed example of every event type, shared by the snapshot and round-trip tests.

use chrono::{DateTime, TimeZone, Utc};
use events::payloads::*;
use events::schema::{FieldDefinition, FieldKind, TypeDefinition};
use events::{DomainEvent, EventId, FieldName, Slug, TypeName, UserId};
use serde_json::json;
use uuid::Uuid;

pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_704_067_200 + seconds, 0).unwrap()
}

fn name(s: &str) -> TypeName {
    TypeName::parse(s).unwrap()
}

fn field(n: &str, kind: FieldKind) -> FieldDefinition {
    FieldDefinition {
        name: FieldName::parse(n).unwrap(),
        kind,
        required: false,
        filterable: false,
        sortable: false,
        listed: true,
    }
}

fn article_definition() -> TypeDefinition {
    TypeDefinition {
        fields: vec![
            FieldDefinition { required: true, ..field("title", FieldKind::String { max_length: Some(200) }) },
            field("body", FieldKind::RichText { max_length: None }),
            FieldDefinition { filterable: true, ..field("author", FieldKind::Reference { target: name("author") }) },
            FieldDefinition { filterable: true, ..field("tags", FieldKind::References { target: name("tag") }) },
            FieldDefinition { sortable: true, ..field("published_on", FieldKind::Datetime) },
            field("level", FieldKind::Enum { values: vec!["beginner".into(), "expert".into()] }),
        ],
        slug_from: Some(FieldName::parse("title").unwrap()),
    }
}

pub fn content() -> ContentId {
    ContentId(Uuid::from_u128(0x0190_a8e4_1c7e_7c1a_9a3e_1f2a_3b4c_5d6e))
}

fn comment(n: u128) -> CommentId {
    CommentId(Uuid::from_u128(0x0190_a8e4_1c7e_7c1a_8000_0000_0000_0000 + n))
}

fn item() -> ContentRef {
    ContentRef { content_type: name("article"), content_id: content() }
}

fn engagement(user: &str) -> Engagement {
    Engagement { content_type: name("article"), content_id: content(), user: UserId::parse(user).unwrap(), at: t(90) }
}

/// One example per event type, in `DomainEvent::TYPES` order.
pub fn examples() -> Vec<DomainEvent> {
    let fields = json!({"title": "Hello, Folio", "author": "0190a8e4-0000-7000-8000-000000000001", "tags": []});
    vec![
        DomainEvent::ContentTypeDefined(ContentTypeDefined {
            type_name: name("article"),
            definition: article_definition(),
        }),
        DomainEvent::ContentTypeRevised(ContentTypeRevised {
            type_name: name("category"),
            definition: TypeDefinition {
                fields: vec![
                    field("name", FieldKind::String { max_length: Some(80) }),
                    field("parent", FieldKind::Parent),
                ],
                slug_from: None,
            },
        }),
        DomainEvent::ContentCreated(ContentCreated {
            content_type: name("article"),
            content_id: content(),
            slug: Slug::parse("hello-folio").unwrap(),
            fields: fields.as_object().unwrap().clone(),
        }),
        DomainEvent::ContentRevised(ContentRevised {
            content_type: name("article"),
            content_id: content(),
            fields: json!({"title": "Hello again", "summary": null}).as_object().unwrap().clone(),
            slug: Some(Slug::parse("hello-again").unwrap()),
        }),
        DomainEvent::ContentPublished(ContentPublished {
            content_type: name("article"),
            content_id: content(),
            published_at: t(60),
        }),
        DomainEvent::ContentUnpublished(item()),
        DomainEvent::ContentScheduled(ContentScheduled {
            content_type: name("article"),
            content_id: content(),
            publish_at: t(3600),
        }),
        DomainEvent::ContentArchived(item()),
        DomainEvent::SlugClaimed(SlugClaimed {
            content_type: name("article"),
            slug: Slug::parse("hello-folio").unwrap(),
            content_id: content(),
        }),
        DomainEvent::SlugReleased(SlugReleased {
            content_type: name("article"),
            slug: Slug::parse("hello-folio").unwrap(),
            content_id: content(),
        }),
        DomainEvent::CommentPosted(CommentPosted {
            comment_id: comment(2),
            content_type: name("article"),
            content_id: content(),
            parent_id: Some(comment(1)),
            author: UserId::parse("42").unwrap(),
            body: "Grüße — nice piece 👍".into(),
        }),
        DomainEvent::CommentEdited(CommentEdited {
            comment_id: comment(2),
            content_type: name("article"),
            content_id: content(),
            body: "Edited".into(),
        }),
        DomainEvent::CommentRemoved(CommentRemoved {
            comment_id: comment(2),
            content_type: name("article"),
            content_id: content(),
            reason: Some("spam".into()),
        }),
        DomainEvent::ContentViewed(engagement("42")),
        DomainEvent::ContentLiked(engagement("42")),
        DomainEvent::ContentUnliked(engagement("42")),
        DomainEvent::ContentShared(Share {
            content_type: name("article"),
            content_id: content(),
            user: UserId::parse("42").unwrap(),
            at: t(90),
            channel: Some("email".into()),
        }),
        DomainEvent::ContentBookmarked(engagement("ada@example.com")),
        DomainEvent::ContentUnbookmarked(engagement("ada@example.com")),
        DomainEvent::ApiKeyIssued(ApiKeyIssued {
            key_id: Uuid::from_u128(0x0190_a8e4_1c7e_7c1a_b000_0000_0000_0001),
            role: Role::Editor,
            secret_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            label: Some("newsroom CMS".into()),
        }),
        DomainEvent::ApiKeyRevoked(ApiKeyRevoked {
            key_id: Uuid::from_u128(0x0190_a8e4_1c7e_7c1a_b000_0000_0000_0001),
        }),
        DomainEvent::IdempotentRequestRecorded(IdempotentRequestRecorded {
            request_sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
            status: 201,
            response: json!({"id": "0190a8e4-1c7e-7c1a-9a3e-1f2a3b4c5d6e", "slug": "hello-folio", "status": "draft"}),
            events: vec![EventId(Uuid::from_u128(1)), EventId(Uuid::from_u128(2))],
            primary: Some(EventId(Uuid::from_u128(1))),
        }),
    ]
}
