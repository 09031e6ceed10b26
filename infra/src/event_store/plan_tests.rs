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

fn plan_singles(
    batch: &[AppendRequest],
    snapshot: StoreSnapshot,
) -> (BatchPlan, Vec<Result<AppendResult, AppendError>>) {
    let groups: Vec<AtomicGroup> = batch.iter().map(|r| vec![r.clone()]).collect();
    let plan = plan_batch(&groups, snapshot, now());
    let singles = plan.outcomes.iter().map(|o| o.clone().map(|mut results| results.remove(0))).collect();
    (plan, singles)
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
    let (plan, outcomes) = plan_singles(&batch, snapshot);
    let positions: Vec<_> =
        plan.to_insert.iter().map(|e| (e.stream_id.to_string(), e.stream_version, e.position)).collect();
    assert_eq!(positions, [("a-1".into(), 3, 11), ("a-1".into(), 4, 12), ("b-1".into(), 1, 13), ("a-1".into(), 5, 14)]);
    assert_eq!(plan.new_head, 14);
    assert_eq!(outcomes[0].as_ref().unwrap().position(), 12);
    assert_eq!(outcomes[2].as_ref().unwrap().stream_version(), 5);
}

#[test]
fn a_stale_append_fails_alone_and_reports_the_current_version() {
    let batch = [
        append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))]),
        append("a-1", ExpectedVersion::NoStream, vec![event(2, json!(2))]),
        append("b-1", ExpectedVersion::Any, vec![event(3, json!(3))]),
    ];
    let (plan, outcomes) = plan_singles(&batch, StoreSnapshot::default());
    assert!(outcomes[0].is_ok());
    assert_eq!(
        outcomes[1],
        Err(AppendError::WrongExpectedVersion {
            stream: stream("a-1"),
            expected: ExpectedVersion::NoStream,
            actual: 1
        })
    );
    assert!(outcomes[2].is_ok());
    assert_eq!(plan.to_insert.len(), 2);
    assert_eq!(plan.new_head, 2);
}

#[test]
fn a_retry_returns_the_original_result_whatever_it_expects() {
    let (first, first_outcomes) =
        plan_singles(&[append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))])], StoreSnapshot::default());
    let stored = first.to_insert[0].clone();
    let snapshot = StoreSnapshot {
        head: 5,
        stream_versions: [(stream("a-1"), 3)].into(),
        known_events: [(stored.event_id, stored)].into(),
    };
    let (retry, retry_outcomes) =
        plan_singles(&[append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1))])], snapshot);
    assert!(retry.to_insert.is_empty());
    assert_eq!(retry.new_head, 5);
    assert_eq!(retry_outcomes[0], first_outcomes[0]);
}

#[test]
fn a_retry_within_the_same_batch_is_absorbed() {
    let request = append("a-1", ExpectedVersion::NoStream, vec![event(1, json!(1)), event(2, json!(2))]);
    let (plan, outcomes) = plan_singles(&[request.clone(), request], StoreSnapshot::default());
    assert_eq!(plan.to_insert.len(), 2);
    assert_eq!(outcomes[0], outcomes[1]);
}

#[test]
fn the_same_id_with_other_content_or_stream_is_a_conflict() {
    let (plan, outcomes) = plan_singles(
        &[
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
            append("a-1", ExpectedVersion::Any, vec![event(1, json!("changed"))]),
            append("b-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
        ],
        StoreSnapshot::default(),
    );
    assert!(outcomes[0].is_ok());
    assert!(matches!(outcomes[1], Err(AppendError::IdempotencyConflict { .. })));
    assert!(matches!(outcomes[2], Err(AppendError::IdempotencyConflict { .. })));
    assert_eq!(plan.to_insert.len(), 1);
}

#[test]
fn a_partial_retry_and_repeated_ids_are_conflicts() {
    let (plan, outcomes) = plan_singles(
        &[
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1))]),
            append("a-1", ExpectedVersion::Any, vec![event(1, json!(1)), event(2, json!(2))]),
            append("c-1", ExpectedVersion::Any, vec![event(7, json!(7)), event(7, json!(7))]),
        ],
        StoreSnapshot::default(),
    );
    assert!(matches!(outcomes[1], Err(AppendError::IdempotencyConflict { .. })));
    assert!(matches!(outcomes[2], Err(AppendError::IdempotencyConflict { .. })));
    assert_eq!(plan.to_insert.len(), 1);
}

#[test]
fn an_empty_append_is_refused() {
    let (_, outcomes) = plan_singles(&[append("a-1", ExpectedVersion::Any, vec![])], StoreSnapshot::default());
    assert_eq!(outcomes[0], Err(AppendError::Empty));
    let empty_group = plan_batch(&[vec![]], StoreSnapshot::default(), now());
    assert_eq!(empty_group.outcomes[0], Err(AppendError::Empty));
}

#[test]
fn a_group_is_all_or_nothing_and_takes_back_everything_it_planned() {
    let snapshot = StoreSnapshot { head: 3, stream_versions: [(stream("slug-taken"), 1)].into(), ..Default::default() };
    let groups = vec![
        // Refused by its second append: its first append must leave no trace.
        vec![
            append("content-1", ExpectedVersion::NoStream, vec![event(1, json!(1))]),
            append("slug-taken", ExpectedVersion::NoStream, vec![event(2, json!(2))]),
        ],
        // Sees the state as if the refused group never ran.
        vec![
            append("content-1", ExpectedVersion::NoStream, vec![event(3, json!(3))]),
            append("slug-free", ExpectedVersion::NoStream, vec![event(4, json!(4))]),
        ],
        // May reuse the refused group's event ids: they were never planned.
        vec![append("other-1", ExpectedVersion::Any, vec![event(1, json!(1)), event(2, json!(2))])],
    ];
    let plan = plan_batch(&groups, snapshot, now());
    assert_eq!(
        plan.outcomes[0],
        Err(AppendError::WrongExpectedVersion {
            stream: stream("slug-taken"),
            expected: ExpectedVersion::NoStream,
            actual: 1
        })
    );
    let second = plan.outcomes[1].as_ref().unwrap();
    assert_eq!((second[0].position(), second[1].position()), (4, 5));
    assert_eq!(second[0].stream_version(), 1, "content-1 is new again after the refused group");
    assert_eq!(plan.outcomes[2].as_ref().unwrap()[0].position(), 7);
    let inserted: Vec<_> = plan.to_insert.iter().map(|e| (e.stream_id.to_string(), e.position)).collect();
    assert_eq!(
        inserted,
        [("content-1".into(), 4), ("slug-free".into(), 5), ("other-1".into(), 6), ("other-1".into(), 7)]
    );
    assert_eq!(plan.new_head, 7);
}

#[test]
fn a_group_appending_twice_to_one_stream_undoes_to_its_first_version() {
    let snapshot = StoreSnapshot { head: 0, stream_versions: [(stream("a-1"), 2)].into(), ..Default::default() };
    let groups = vec![
        vec![
            append("a-1", ExpectedVersion::Exact(2), vec![event(1, json!(1))]),
            append("a-1", ExpectedVersion::Exact(3), vec![event(2, json!(2))]),
            append("a-1", ExpectedVersion::Exact(9), vec![event(3, json!(3))]),
        ],
        vec![append("a-1", ExpectedVersion::Exact(2), vec![event(4, json!(4))])],
    ];
    let plan = plan_batch(&groups, snapshot, now());
    assert!(plan.outcomes[0].is_err());
    assert_eq!(plan.outcomes[1].as_ref().unwrap()[0].stream_version(), 3);
}
