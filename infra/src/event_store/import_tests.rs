//! Given what is stored, when a batch is planned for import, then it is appended, skipped or refused.

use super::*;
use serde_json::json;
use uuid::Uuid;

fn stream(name: &str) -> StreamId {
    StreamId::parse(name).unwrap()
}

fn event(n: u128, stream_name: &str, version: StreamVersion) -> ImportedEvent {
    ImportedEvent {
        event_id: EventId(Uuid::from_u128(n)),
        stream_id: stream(stream_name),
        stream_version: version,
        event_type: "ContentViewed".into(),
        schema_version: 1,
        data: json!({ "n": n as u64 }),
        metadata: Metadata { actor: Some("seed".into()), ..Metadata::default() },
        recorded_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    }
}

fn stored(event: &ImportedEvent, position: Position) -> (EventId, RecordedEvent) {
    (event.event_id, event.clone().into_recorded(position))
}

#[test]
fn fresh_events_continue_their_streams_in_batch_order() {
    let batch = vec![event(1, "a-1", 3), event(2, "b-1", 1), event(3, "a-1", 4)];
    let versions = HashMap::from([(stream("a-1"), 2)]);
    let plan = plan_import(&batch, &HashMap::new(), &versions).unwrap();
    assert_eq!(plan, ImportPlan { fresh: vec![true, true, true], skipped: 0 });
    let rows = plan.into_rows(batch, 10);
    assert_eq!(rows.iter().map(|r| r.position).collect::<Vec<_>>(), vec![11, 12, 13]);
}

#[test]
fn stored_identical_events_are_skipped_and_the_rest_continue() {
    let batch = vec![event(1, "a-1", 1), event(2, "a-1", 2)];
    let known = HashMap::from([stored(&batch[0], 7)]);
    let versions = HashMap::from([(stream("a-1"), 1)]);
    let plan = plan_import(&batch, &known, &versions).unwrap();
    assert_eq!(plan.skipped, 1);
    let rows = plan.into_rows(batch, 7);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].event_id, rows[0].position), (EventId(Uuid::from_u128(2)), 8));
}

#[test]
fn a_stored_id_with_other_content_is_refused() {
    let batch = vec![event(1, "a-1", 1)];
    let mut other = batch[0].clone();
    other.data = json!({ "n": 99 });
    let known = HashMap::from([stored(&other, 1)]);
    let refused = plan_import(&batch, &known, &HashMap::new());
    assert!(matches!(refused, Err(ImportError::ConflictingContent { .. })), "{refused:?}");
}

#[test]
fn other_metadata_or_time_is_other_content() {
    let batch = [event(1, "a-1", 1)];
    let mut other = batch[0].clone();
    other.metadata.actor = Some("someone else".into());
    assert!(!batch[0].is_stored_as(&other.clone().into_recorded(1)));
    let mut later = batch[0].clone();
    later.recorded_at += chrono::Duration::seconds(1);
    assert!(!batch[0].is_stored_as(&later.into_recorded(1)));
}

#[test]
fn a_gap_a_repeat_or_a_reordering_is_refused() {
    let gap = vec![event(1, "a-1", 3)];
    let versions = HashMap::from([(stream("a-1"), 1)]);
    assert!(matches!(
        plan_import(&gap, &HashMap::new(), &versions),
        Err(ImportError::NonContiguousVersion { version: 3, expected: 2, .. })
    ));
    let repeat = vec![event(1, "a-1", 1), event(2, "a-1", 1)];
    assert!(matches!(
        plan_import(&repeat, &HashMap::new(), &HashMap::new()),
        Err(ImportError::NonContiguousVersion { version: 1, expected: 2, .. })
    ));
    let reordered = vec![event(1, "a-1", 2), event(2, "a-1", 1)];
    assert!(plan_import(&reordered, &HashMap::new(), &HashMap::new()).is_err());
}

#[test]
fn a_new_event_before_a_stored_one_of_its_stream_is_refused() {
    // Version 2 is stored; a fresh version 1 of the same stream cannot be appended after it.
    let batch = vec![event(1, "a-1", 1), event(2, "a-1", 2)];
    let known = HashMap::from([stored(&batch[1], 1)]);
    let versions = HashMap::from([(stream("a-1"), 2)]);
    assert!(plan_import(&batch, &known, &versions).is_err());
}

#[test]
fn an_id_twice_in_a_batch_is_refused() {
    let batch = vec![event(1, "a-1", 1), event(1, "b-1", 1)];
    assert!(matches!(plan_import(&batch, &HashMap::new(), &HashMap::new()), Err(ImportError::DuplicateInBatch { .. })));
}

#[test]
fn only_streams_of_unknown_events_are_looked_up() {
    let batch = vec![event(1, "a-1", 1), event(2, "b-1", 1), event(3, "b-1", 2)];
    let known = HashMap::from([stored(&batch[0], 1)]);
    assert_eq!(fresh_streams(&batch, &known), vec![&stream("b-1")]);
}

#[test]
fn firsts_of_streams_are_marked_only_when_each_stream_goes_up_by_one() {
    let batch = vec![event(1, "a-1", 4), event(2, "b-1", 1), event(3, "a-1", 5)];
    assert_eq!(first_of_streams(&batch), Some(vec![true, true, false]));
    let skipping = vec![event(1, "a-1", 4), event(2, "a-1", 6)];
    assert_eq!(first_of_streams(&skipping), None);
}
