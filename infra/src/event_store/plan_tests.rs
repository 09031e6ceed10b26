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

/// A batch that wrote `a-1` v3 (position 11) and `b-1` v1 (position 12), planned on head 10.
fn committed_batch() -> (Committed, Vec<AtomicGroup>) {
    let snapshot = StoreSnapshot { head: 10, stream_versions: [(stream("a-1"), 2)].into(), ..Default::default() };
    let batch = vec![
        vec![append("a-1", ExpectedVersion::Exact(2), vec![event(1, json!(1))])],
        vec![append("b-1", ExpectedVersion::NoStream, vec![event(2, json!(2))])],
    ];
    let plan = plan_batch(&batch, snapshot, now());
    (Committed { planned_on: 10, new_head: plan.new_head, written: plan.to_insert }, batch)
}

#[test]
fn a_snapshot_read_before_a_commit_is_caught_up_with_what_it_wrote() {
    let (committed, earlier) = committed_batch();
    let read_before = StoreSnapshot { head: 10, stream_versions: [(stream("a-1"), 2)].into(), ..Default::default() };
    let caught_up = read_before.caught_up_with(&committed).expect("read at the head the batch was planned on");
    assert_eq!(caught_up.head, 12);
    assert_eq!(caught_up.stream_versions[&stream("a-1")], 3);
    assert_eq!(caught_up.stream_versions[&stream("b-1")], 1);

    // Planned on it, the next batch continues where the commit ended, and a retry of the
    // committed append is recognised as such.
    let next = [
        append("a-1", ExpectedVersion::Exact(3), vec![event(3, json!(3))]),
        earlier[1][0].clone(),
        append("b-1", ExpectedVersion::Exact(0), vec![event(4, json!(4))]),
    ];
    let (plan, outcomes) = plan_singles(&next, caught_up);
    assert_eq!(outcomes[0].as_ref().unwrap().events[0].position, 13);
    assert_eq!(outcomes[1].as_ref().unwrap().events[0].position, 12, "the original result");
    assert!(matches!(outcomes[2], Err(AppendError::WrongExpectedVersion { actual: 1, .. })));
    assert_eq!(plan.to_insert.len(), 1);
}

#[test]
fn a_snapshot_read_after_the_commit_is_unchanged_by_catching_up() {
    let (committed, _) = committed_batch();
    let read_after = StoreSnapshot {
        head: 12,
        stream_versions: [(stream("a-1"), 3), (stream("b-1"), 1), (stream("c-1"), 7)].into(),
        ..Default::default()
    };
    let caught_up = read_after.caught_up_with(&committed).unwrap();
    assert_eq!(caught_up.head, 12);
    assert_eq!(caught_up.stream_versions[&stream("a-1")], 3);
    assert_eq!(caught_up.stream_versions[&stream("c-1")], 7);
}

#[test]
fn a_snapshot_of_any_other_state_cannot_be_caught_up() {
    let (committed, _) = committed_batch();
    for head in [9, 11, 13] {
        let read = StoreSnapshot { head, ..Default::default() };
        assert!(read.caught_up_with(&committed).is_none(), "head {head}: someone else appended meanwhile");
    }
    let nothing_written = Committed { planned_on: 10, new_head: 10, written: Vec::new() };
    assert!(StoreSnapshot { head: 10, ..Default::default() }.caught_up_with(&nothing_written).is_some());
    assert!(StoreSnapshot { head: 12, ..Default::default() }.caught_up_with(&nothing_written).is_none());
}

#[test]
fn snapshots_of_one_state_merge_their_streams_and_events() {
    let (committed, _) = committed_batch();
    let mut first = StoreSnapshot { head: 10, stream_versions: [(stream("c-1"), 4)].into(), ..Default::default() }
        .caught_up_with(&committed)
        .unwrap();
    let second = StoreSnapshot { head: 12, stream_versions: [(stream("d-1"), 2)].into(), ..Default::default() }
        .caught_up_with(&committed)
        .unwrap();
    first.merge(second);
    let mut versions: Vec<_> = first.stream_versions.iter().map(|(s, v)| (s.to_string(), *v)).collect();
    versions.sort();
    assert_eq!(versions, [("a-1".into(), 3), ("b-1".into(), 1), ("c-1".into(), 4), ("d-1".into(), 2)]);
    assert_eq!(first.known_events.len(), 2);
}
