//! The import contract cases (rules in `infra::event_store::import`). Each takes a fresh store.

use crate::cases::{next, stream};
use crate::fixture::Fixture;
use chrono::{DateTime, Utc};
use events::{EventId, ExpectedVersion, Metadata, NewEvent, RecordedEvent};
use infra::{ImportError, ImportedEvent};
use serde_json::json;
use uuid::Uuid;

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_717_200_000 + second, 0).unwrap()
}

fn imported(stream_name: &str, version: u64, second: i64) -> ImportedEvent {
    ImportedEvent {
        event_id: EventId(Uuid::now_v7()),
        stream_id: stream(stream_name),
        stream_version: version,
        event_type: "ContentViewed".into(),
        schema_version: 1,
        data: json!({ "item": "x", "at": second, "text": "tab\there \\ \"quoted\" \n ünïcode" }),
        metadata: Metadata { actor: Some("seed".into()), ..Metadata::default() },
        recorded_at: at(second),
    }
}

fn appended() -> NewEvent {
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: "ContentViewed".into(),
        schema_version: 1,
        data: json!({}),
        metadata: Metadata::default(),
    }
}

fn as_imported(events: &[RecordedEvent]) -> Vec<ImportedEvent> {
    events.iter().cloned().map(ImportedEvent::from).collect()
}

pub async fn import_keeps_ids_order_and_versions_after_existing_appends(fixture: &Fixture) {
    let s = stream("imp-1");
    fixture.store.append(s.clone(), ExpectedVersion::NoStream, vec![appended(), appended()]).await.unwrap();
    let batch =
        vec![imported("imp-1", 3, 30), imported("imp-2", 1, 10), imported("imp-1", 4, 20), imported("imp-2", 2, 5)];
    let result = fixture.store.import(batch.clone()).await.unwrap();
    assert_eq!((result.imported, result.skipped, result.head), (4, 0, 6));

    let stored = fixture.store.read_all(2, 100).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.position).collect::<Vec<_>>(), vec![3, 4, 5, 6], "gap-free after the appends");
    assert_eq!(as_imported(&stored), batch, "ids, streams, versions, data, metadata and times are kept, in order");

    // Appends continue the imported streams and the log.
    let after = fixture.store.append(s, ExpectedVersion::Exact(4), vec![appended()]).await.unwrap();
    assert_eq!((after.stream_version(), after.position()), (5, 7));
}

pub async fn reimporting_the_same_batch_appends_nothing(fixture: &Fixture) {
    let batch: Vec<_> = (1..=50).map(|v| imported("imp-1", v, v as i64)).collect();
    assert_eq!(fixture.store.import(batch.clone()).await.unwrap().imported, 50);
    let again = fixture.store.import(batch.clone()).await.unwrap();
    assert_eq!((again.imported, again.skipped, again.head), (0, 50, 50));

    // A batch that overlaps what is stored appends only its new events.
    let mut extended = batch[40..].to_vec();
    extended.push(imported("imp-1", 51, 51));
    let result = fixture.store.import(extended).await.unwrap();
    assert_eq!((result.imported, result.skipped, result.head), (1, 10, 51));
    assert_eq!(fixture.store.head().await.unwrap(), 51);
}

pub async fn an_imported_id_with_other_content_is_refused_and_nothing_is_written(fixture: &Fixture) {
    let first = imported("imp-1", 1, 1);
    fixture.store.import(vec![first.clone()]).await.unwrap();
    let fresh = imported("imp-2", 1, 2);
    let mut changed = first.clone();
    changed.data = json!({ "other": true });
    let refused = fixture.store.import(vec![fresh.clone(), changed]).await;
    assert!(matches!(refused, Err(ImportError::ConflictingContent { event_id }) if event_id == first.event_id));
    assert_eq!(fixture.store.head().await.unwrap(), 1);
    assert!(fixture.store.event_by_id(fresh.event_id).await.unwrap().is_none(), "nothing of the batch is written");
}

pub async fn a_non_contiguous_stream_version_is_refused_and_nothing_is_written(fixture: &Fixture) {
    fixture.store.append(stream("imp-1"), ExpectedVersion::NoStream, vec![appended()]).await.unwrap();
    let fresh = imported("imp-2", 1, 1);
    let gap = fixture.store.import(vec![fresh.clone(), imported("imp-1", 3, 2)]).await;
    assert!(matches!(gap, Err(ImportError::NonContiguousVersion { version: 3, expected: 2, .. })), "{gap:?}");
    let taken = fixture.store.import(vec![fresh.clone(), imported("imp-1", 1, 2)]).await;
    assert!(matches!(taken, Err(ImportError::NonContiguousVersion { version: 1, expected: 2, .. })), "{taken:?}");
    let twice = fixture.store.import(vec![fresh.clone(), imported("imp-3", 1, 2), imported("imp-3", 1, 3)]).await;
    assert!(matches!(twice, Err(ImportError::NonContiguousVersion { .. })), "{twice:?}");
    assert_eq!(fixture.store.head().await.unwrap(), 1);
    assert!(fixture.store.event_by_id(fresh.event_id).await.unwrap().is_none(), "nothing of the batch is written");
}

pub async fn an_imported_schema_version_no_store_keeps_is_refused(fixture: &Fixture) {
    let fresh = imported("imp-1", 1, 1);
    let mut too_high = imported("imp-2", 1, 2);
    too_high.schema_version = infra::MAX_SCHEMA_VERSION + 1;
    let refused = fixture.store.import(vec![fresh.clone(), too_high.clone()]).await;
    assert!(
        matches!(refused, Err(ImportError::SchemaVersionTooHigh { event_id, .. }) if event_id == too_high.event_id),
        "{refused:?}"
    );
    assert_eq!(fixture.store.head().await.unwrap(), 0);
    assert!(fixture.store.event_by_id(fresh.event_id).await.unwrap().is_none(), "nothing of the batch is written");
}

pub async fn a_subscriber_sees_imported_events(fixture: &Fixture) {
    let mut subscription = fixture.store.subscribe_all(0);
    fixture.store.append(stream("imp-1"), ExpectedVersion::NoStream, vec![appended()]).await.unwrap();
    assert_eq!(next(&mut subscription).await.position, 1);
    let batch = vec![imported("imp-2", 1, 1), imported("imp-2", 2, 2), imported("imp-3", 1, 3)];
    let importer = fixture.store.clone();
    let expected = batch.clone();
    tokio::spawn(async move { importer.import(batch).await.unwrap() });
    for (position, event) in (2..).zip(expected) {
        let seen = next(&mut subscription).await;
        assert_eq!((seen.position, seen.event_id), (position, event.event_id));
    }
}
