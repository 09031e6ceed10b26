//! The upcasting hook: old stored versions become the current type on read.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod support;

use events::upcast::{upcast, Upcaster};
use events::{DecodeError, DomainEvent};
use serde_json::{json, Value};

/// Suppose CommentPosted v1 stored the author as `{"user": {"id": "42"}}` and the thread parent
/// as `reply_to`; v2 (today's shape) has `author: "42"` and `parent_id`.
fn comment_posted_v1_to_v2(mut data: Value) -> Result<Value, String> {
    let object = data.as_object_mut().ok_or("payload is not an object")?;
    let user = object.remove("user").ok_or("missing user")?;
    let id = user.get("id").cloned().ok_or("user has no id")?;
    object.insert("author".into(), id);
    if let Some(parent) = object.remove("reply_to") {
        object.insert("parent_id".into(), parent);
    }
    Ok(data)
}

const CHAIN: &[Upcaster] =
    &[Upcaster { event_type: "CommentPosted", from_version: 1, upcast: comment_posted_v1_to_v2 }];

fn v1_payload() -> Value {
    json!({
        "comment_id": "0190a8e4-1c7e-7c1a-8000-000000000002",
        "content_type": "article",
        "content_id": "0190a8e4-1c7e-7c1a-9a3e-1f2a3b4c5d6e",
        "reply_to": "0190a8e4-1c7e-7c1a-8000-000000000001",
        "user": {"id": "42"},
        "body": "Grüße — nice piece 👍"
    })
}

#[test]
fn a_v1_payload_is_upcast_to_the_current_shape() {
    let upcast_data = upcast(CHAIN, "CommentPosted", 1, 2, v1_payload()).unwrap();
    let event = DomainEvent::from_stored("CommentPosted", 1, upcast_data).unwrap();
    let expected = support::examples().into_iter().find(|e| e.event_type() == "CommentPosted").unwrap();
    assert_eq!(event, expected);
}

#[test]
fn a_chain_step_is_applied_once_per_version() {
    let twice: &[Upcaster] = &[
        Upcaster { event_type: "X", from_version: 1, upcast: |v| Ok(json!({"from1": v})) },
        Upcaster { event_type: "X", from_version: 2, upcast: |v| Ok(json!({"from2": v})) },
    ];
    assert_eq!(upcast(twice, "X", 1, 3, json!(0)).unwrap(), json!({"from2": {"from1": 0}}));
    assert_eq!(upcast(twice, "X", 2, 3, json!(0)).unwrap(), json!({"from2": 0}));
    assert_eq!(upcast(twice, "X", 3, 3, json!(0)).unwrap(), json!(0));
}

#[test]
fn a_missing_step_or_a_failing_step_is_an_error_not_a_guess() {
    assert!(matches!(
        upcast(&[], "CommentPosted", 1, 2, v1_payload()),
        Err(DecodeError::MissingUpcaster { from: 1, .. })
    ));
    assert!(matches!(upcast(CHAIN, "CommentPosted", 1, 2, json!("not an object")), Err(DecodeError::Upcast { .. })));
}

#[test]
fn a_version_newer_than_the_code_is_refused() {
    let data = support::examples()[0].to_stored().unwrap().data;
    assert!(matches!(
        DomainEvent::from_stored("ContentTypeDefined", 9, data),
        Err(DecodeError::FutureSchemaVersion { stored: 9, current: 1, .. })
    ));
}

#[test]
fn unknown_types_and_mismatched_payloads_are_errors() {
    assert!(matches!(DomainEvent::from_stored("Nope", 1, json!({})), Err(DecodeError::UnknownEventType(_))));
    assert!(matches!(
        DomainEvent::from_stored("ContentViewed", 1, json!({"user": "42"})),
        Err(DecodeError::Payload { .. })
    ));
    assert!(matches!(
        DomainEvent::from_stored(
            "ContentViewed",
            1,
            json!({"content_type": "Bad Name", "content_id": "0190a8e4-1c7e-7c1a-9a3e-1f2a3b4c5d6e", "user": "42", "at": "2024-01-01T00:00:00Z"})
        ),
        Err(DecodeError::Payload { .. })
    ));
}
