//! Given a store snapshot, when a batch is planned, then each append gets its own verdict.

use super::*;
use events::Metadata;
use serde_json::json;
use uuid::Uuid;

fn stream(name: &str) -> StreamId {
    StreamId::parse(name).unwrap()
}

fn event(n: u128, data: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: EventId(Uuid::from_u128(n)),
        event_type: "ContentViewed".into(),
        schema_version: 1,
        data,
        metadata: Metadata::default(),
    }
}

fn append(s: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest { stream: stream(s), expected, events }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap()
}

#[test]
fn accepted_appends_take_consecutive_positions_and_versions() {
    let snapshot = StoreSnapshot { head: 10, stream_versions: [(stream("a-1"), 2)].into(), ..Default::default() };
    let batch = [
        append("a-1", ExpectedVersion::Exact(2), vec![event(1, json!(1)), event(2, json!(2))]),
        append("b-1", ExpectedVersion::NoStream, vec![event(3, json!(3))]),
        append("a-1", ExpectedVersion::Exact(4), vec![event(4, json!(4))]),
    ];
    let plan = plan_batch(&batch, snapshot, now());
    let positions: Vec<_> =
        plan.to_insert.iter().map(|e| (e.stream_id.to_string(), e.stream_version, e.position)).collect();
    assert_eq!(positions, [("a-1".into(), 3, 11), ("a-1".into(), 4, 12), ("b-1".into(), 1, 13), ("a-1".into(), 5, 14)]);
    assert_eq!(plan.new_head, 14);
    assert_eq!(plan.outcomes[0].as_ref().unwrap().position(), 12);
    assert_eq!(plan.outcomes[2].as_ref().unwrap().stream_version(), 5);
}

#[test]
fn a_stale_append_fails_alone_and_reports_the_current_version() {
    let batch = [
        append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))]),
        append("a-1", ExpectedVersion::NoStream, vec![event(2, json!(2))]),
        append("b-1", ExpectedVersion::Any, vec![event(3, json!(3))]),
    ];
    let plan = plan_batch(&batch, StoreSnapshot::default(), now());
    assert!(plan.outcomes[0].is_ok());
    assert_eq!(
        plan.outcomes[1],
        Err(AppendError::WrongExpectedVersion {
            stream: stream("a-1"),
            expected: ExpectedVersion::NoStream,
            actual: 1
        })
    );
    assert!(plan.outcomes[2].is_ok());
    assert_eq!(plan.to_insert.len(), 2);
    assert_eq!(plan.new_head, 2);
}

#[test]
fn a_retry_returns_the_original_result_whatever_it_expects() {
    let first = plan_batch(
        &[append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))])],
        StoreSnapshot::default(),
        now(),
    );
    let stored = first.to_insert[0].clone();
    let snapshot = StoreSnapshot {
        head: 5,
        stream_versions: [(stream("a-1"), 3)].into(),
        known_events: [(stored.event_id, stored)].into(),
    };
    let retry = plan_batch(&[append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))])], snapshot, now());
    assert!(retry.to_insert.is_empty());
    assert_eq!(retry.new_head, 5);
    assert_eq!(retry.outcomes[0], first.outcomes[0]);
}

#[test]
fn a_retry_within_the_same_batch_is_absorbed() {
    let request = append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1)), event(2, json!(2))]);
    let plan = plan_batch(&[request.clone(), request], StoreSnapshot::default(), now());
    assert_eq!(plan.to_insert.len(), 2);
    assert_eq!(plan.outcomes[0], plan.outcomes[1]);
}

#[test]
fn the_same_id_with_other_content_or_stream_is_a_conflict() {
    let plan = plan_batch(
        &[
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
            append("a-1", ExpectedVersion::Any, vec![event(1, json!("changed"))]),
            append("b-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
        ],
        StoreSnapshot::default(),
        now(),
    );
    assert!(plan.outcomes[0].is_ok());
    assert!(matches!(plan.outcomes[1], Err(AppendError::IdempotencyConflict { .. })));
    assert!(matches!(plan.outcomes[2], Err(AppendError::IdempotencyConflict { .. })));
    assert_eq!(plan.to_insert.len(), 1);
}

#[test]
fn a_partial_retry_and_repeated_ids_are_conflicts() {
    let plan = plan_batch(
        &[
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1)), event(2, json!(2))]),
            append("c-1", ExpectedVersion::Any, vec![event(7, json!(7)), event(7, json!(7))]),
        ],
        StoreSnapshot::default(),
        now(),
    );
    assert!(matches!(plan.outcomes[1], Err(AppendError::IdempotencyConflict { .. })));
    assert!(matches!(plan.outcomes[2], Err(AppendError::IdempotencyConflict { .. })));
    assert_eq!(plan.to_insert.len(), 1);
}

#[test]
fn an_empty_append_is_refused() {
    let plan = plan_batch(&[append("a-1", ExpectedVersion::Any, vec![])], StoreSnapshot::default(), now());
    assert_eq!(plan.outcomes[0], Err(AppendError::Empty));
}
