//! Every event survives its stored form: encode -> JSON text -> decode gives the same event.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod support;

use chrono::{DateTime, TimeZone, Utc};
use events::payloads::*;
use events::schema::{FieldDefinition, FieldKind, TypeDefinition};
use events::{DomainEvent, FieldName, Slug, StoredForm, TypeName, UserId};
use proptest::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

fn identifier() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,20}"
}

fn type_name() -> impl Strategy<Value = TypeName> {
    identifier().prop_map(|s| TypeName::parse(s).unwrap())
}

fn field_name() -> impl Strategy<Value = FieldName> {
    identifier().prop_map(|s| FieldName::parse(s).unwrap())
}

fn user() -> impl Strategy<Value = UserId> {
    "[A-Za-z0-9._:@-]{1,40}".prop_map(|s| UserId::parse(s).unwrap())
}

fn slug() -> impl Strategy<Value = Slug> {
    "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,4}".prop_map(|s| Slug::parse(s).unwrap())
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Utc.timestamp_opt(s, n).unwrap())
}

fn content_id() -> impl Strategy<Value = ContentId> {
    any::<u128>().prop_map(|n| ContentId(Uuid::from_u128(n)))
}

fn comment_id() -> impl Strategy<Value = CommentId> {
    any::<u128>().prop_map(|n| CommentId(Uuid::from_u128(n)))
}

/// Any text, unicode and control characters included.
fn text() -> impl Strategy<Value = String> {
    any::<String>()
}

/// JSON field values without floats (float text round trips are serde_json's concern, not ours).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z_]{1,12}", json_value(), 0..6).prop_map(|m| m.into_iter().collect())
}

fn field_kind() -> impl Strategy<Value = FieldKind> {
    let max_length = proptest::option::of(1u32..100_000);
    prop_oneof![
        max_length.clone().prop_map(|max_length| FieldKind::String { max_length }),
        max_length.clone().prop_map(|max_length| FieldKind::Text { max_length }),
        max_length.prop_map(|max_length| FieldKind::RichText { max_length }),
        Just(FieldKind::Integer),
        Just(FieldKind::Number),
        Just(FieldKind::Boolean),
        Just(FieldKind::Datetime),
        prop::collection::vec(text(), 1..5).prop_map(|values| FieldKind::Enum { values }),
        Just(FieldKind::Json),
        Just(FieldKind::Media),
        type_name().prop_map(|target| FieldKind::Reference { target }),
        type_name().prop_map(|target| FieldKind::References { target }),
        Just(FieldKind::Parent),
    ]
}

fn definition() -> impl Strategy<Value = TypeDefinition> {
    let field = (field_name(), field_kind(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(name, kind, required, filterable, sortable, listed)| FieldDefinition {
            name,
            kind,
            required,
            filterable,
            sortable,
            listed,
        },
    );
    (prop::collection::vec(field, 0..8), proptest::option::of(field_name()))
        .prop_map(|(fields, slug_from)| TypeDefinition { fields, slug_from })
}

fn engagement() -> impl Strategy<Value = Engagement> {
    (type_name(), content_id(), user(), time()).prop_map(|(content_type, content_id, user, at)| Engagement {
        content_type,
        content_id,
        user,
        at,
    })
}

fn content_ref() -> impl Strategy<Value = ContentRef> {
    (type_name(), content_id()).prop_map(|(content_type, content_id)| ContentRef { content_type, content_id })
}

fn domain_event() -> impl Strategy<Value = DomainEvent> {
    prop_oneof![
        (type_name(), definition()).prop_map(|(type_name, definition)| DomainEvent::ContentTypeDefined(
            ContentTypeDefined { type_name, definition }
        )),
        (type_name(), definition()).prop_map(|(type_name, definition)| DomainEvent::ContentTypeRevised(
            ContentTypeRevised { type_name, definition }
        )),
        (type_name(), content_id(), slug(), fields()).prop_map(|(content_type, content_id, slug, fields)| {
            DomainEvent::ContentCreated(ContentCreated { content_type, content_id, slug, fields })
        }),
        (type_name(), content_id(), fields(), proptest::option::of(slug())).prop_map(
            |(content_type, content_id, fields, slug)| DomainEvent::ContentRevised(ContentRevised {
                content_type,
                content_id,
                fields,
                slug
            })
        ),
        (type_name(), content_id(), time()).prop_map(|(content_type, content_id, published_at)| {
            DomainEvent::ContentPublished(ContentPublished { content_type, content_id, published_at })
        }),
        content_ref().prop_map(DomainEvent::ContentUnpublished),
        (type_name(), content_id(), time()).prop_map(|(content_type, content_id, publish_at)| {
            DomainEvent::ContentScheduled(ContentScheduled { content_type, content_id, publish_at })
        }),
        content_ref().prop_map(DomainEvent::ContentArchived),
        (type_name(), slug(), content_id()).prop_map(|(content_type, slug, content_id)| DomainEvent::SlugClaimed(
            SlugClaimed { content_type, slug, content_id }
        )),
        (type_name(), slug(), content_id()).prop_map(|(content_type, slug, content_id)| DomainEvent::SlugReleased(
            SlugReleased { content_type, slug, content_id }
        )),
        (comment_id(), content_ref(), proptest::option::of(comment_id()), user(), text()).prop_map(
            |(comment_id, item, parent_id, author, body)| DomainEvent::CommentPosted(CommentPosted {
                comment_id,
                content_type: item.content_type,
                content_id: item.content_id,
                parent_id,
                author,
                body
            })
        ),
        (comment_id(), content_ref(), text()).prop_map(|(comment_id, item, body)| DomainEvent::CommentEdited(
            CommentEdited { comment_id, content_type: item.content_type, content_id: item.content_id, body }
        )),
        (comment_id(), content_ref(), proptest::option::of(text())).prop_map(|(comment_id, item, reason)| {
            DomainEvent::CommentRemoved(CommentRemoved {
                comment_id,
                content_type: item.content_type,
                content_id: item.content_id,
                reason,
            })
        }),
        engagement().prop_map(DomainEvent::ContentViewed),
        engagement().prop_map(DomainEvent::ContentLiked),
        engagement().prop_map(DomainEvent::ContentUnliked),
        (engagement(), proptest::option::of(text())).prop_map(|(e, channel)| DomainEvent::ContentShared(Share {
            content_type: e.content_type,
            content_id: e.content_id,
            user: e.user,
            at: e.at,
            channel
        })),
        engagement().prop_map(DomainEvent::ContentBookmarked),
        engagement().prop_map(DomainEvent::ContentUnbookmarked),
        (any::<u128>(), prop::sample::select(Role::ALL.to_vec()), "[0-9a-f]{64}", proptest::option::of(text()))
            .prop_map(|(id, role, secret_sha256, label)| DomainEvent::ApiKeyIssued(ApiKeyIssued {
                key_id: Uuid::from_u128(id),
                role,
                secret_sha256,
                label
            })),
        any::<u128>().prop_map(|id| DomainEvent::ApiKeyRevoked(ApiKeyRevoked { key_id: Uuid::from_u128(id) })),
        (
            "[0-9a-f]{64}",
            200u16..600,
            json_value(),
            prop::collection::vec(any::<u128>(), 0..4),
            proptest::option::of(any::<u128>())
        )
            .prop_map(|(request_sha256, status, response, events, primary)| {
                DomainEvent::IdempotentRequestRecorded(IdempotentRequestRecorded {
                    request_sha256,
                    status,
                    response,
                    events: events.into_iter().map(|n| events::EventId(Uuid::from_u128(n))).collect(),
                    primary: primary.map(|n| events::EventId(Uuid::from_u128(n))),
                })
            }),
    ]
}

fn through_stored_text(event: &DomainEvent) -> DomainEvent {
    let text = serde_json::to_string(&event.to_stored().unwrap()).unwrap();
    let stored: StoredForm = serde_json::from_str(&text).unwrap();
    DomainEvent::from_stored(&stored.event_type, stored.schema_version, stored.data).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_event_round_trips_through_its_stored_form(event in domain_event()) {
        prop_assert_eq!(through_stored_text(&event), event);
    }
}

#[test]
fn the_fixed_examples_round_trip_too() {
    for event in support::examples() {
        assert_eq!(through_stored_text(&event), event);
    }
}
