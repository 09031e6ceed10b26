//! The import contract cases (rules in `infra::event_store::import`). Each takes a fresh store.

use crate::cases::{next, stream};
use crate::fixture::Fixture;
use chrono::{DateTime, Utc};
use events::{EventId, ExpectedVersion, Metadata, NewEvent, RecordedEvent};
use infra::{BulkStep, ImportError, ImportFeed, ImportedEvent};
use serde_json::json;
use std::sync::Mutex;
use tokio::sync::mpsc;
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

/// A channel holding `chunks` then the end, closed: what a producer that has sent them all
/// leaves.
fn sent(chunks: &[Vec<ImportedEvent>]) -> mpsc::Receiver<ImportFeed> {
    let (sender, receiver) = mpsc::channel(chunks.len() + 1);
    for chunk in chunks {
        sender.try_send(ImportFeed::Chunk(chunk.clone())).unwrap();
    }
    sender.try_send(ImportFeed::End).unwrap();
    receiver
}

/// The chunks left in a channel that was not read, up to its end.
fn unread(receiver: &mut mpsc::Receiver<ImportFeed>) -> Vec<Vec<ImportedEvent>> {
    let mut chunks = Vec::new();
    while let Ok(ImportFeed::Chunk(chunk)) = receiver.try_recv() {
        chunks.push(chunk);
    }
    chunks
}

/// Three chunks over three streams, interleaved: 90 events.
fn three_chunks() -> Vec<Vec<ImportedEvent>> {
    let mut versions = [0u64; 3];
    (0..3)
        .map(|chunk| {
            (0..30)
                .map(|i| {
                    let s = (chunk * 30 + i) % 3;
                    versions[s] += 1;
                    imported(&format!("bulk-{s}"), versions[s], (chunk * 30 + i) as i64)
                })
                .collect()
        })
        .collect()
}

/// What `import_into_empty` reported to its progress callback.
#[derive(Default)]
struct Heard(Mutex<Vec<BulkStep>>);

impl Heard {
    fn hear(&self, step: BulkStep) {
        self.0.lock().unwrap().push(step);
    }
}

/// Into an empty store the whole import is one transaction where the backend can (PostgreSQL)
/// and the store ends as chunk by chunk would leave it, indexes included; a backend that
/// cannot (SQLite) receives nothing and the caller imports chunk by chunk. Into a store that
/// is not empty every backend declines, receiving nothing.
pub async fn an_import_into_an_empty_store_ends_as_chunk_by_chunk_would(fixture: &Fixture) {
    let indexes = fixture.index_definitions().await;
    let chunks = three_chunks();
    let expected: Vec<ImportedEvent> = chunks.concat();
    let mut subscription = fixture.store.subscribe_all(0);
    let mut receiver = sent(&chunks);
    let heard = Heard::default();
    let outcome = fixture.store.import_into_empty(&mut receiver, &|step| heard.hear(step)).await.unwrap();
    assert_eq!(outcome.is_some(), fixture.imports_into_empty_in_one_transaction(), "{outcome:?}");
    match outcome {
        Some(result) => {
            assert_eq!((result.imported, result.skipped, result.head), (90, 0, 90));
            let steps = heard.0.lock().unwrap().clone();
            assert_eq!(steps.iter().filter(|s| matches!(s, BulkStep::Copied(30))).count(), 3, "{steps:?}");
            assert_eq!(steps.last(), Some(&BulkStep::BuildingIndexes), "{steps:?}");
        }
        None => {
            assert!(heard.0.lock().unwrap().is_empty());
            let left = unread(&mut receiver);
            assert_eq!(left.len(), 3, "a backend that declines receives nothing");
            for chunk in left {
                fixture.store.import(chunk).await.unwrap();
            }
        }
    }
    let stored = fixture.store.read_all(0, 1000).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=90).collect::<Vec<_>>());
    assert_eq!(as_imported(&stored), expected, "ids, streams, versions, data, metadata and times, in order");
    for position in 1..=90 {
        assert_eq!(next(&mut subscription).await.position, position, "subscribers wake");
    }
    assert_eq!(fixture.index_definitions().await, indexes, "every index and unique constraint is back");
    assert_eq!(fixture.store.read_stream(&stream("bulk-1"), 1, 100).await.unwrap().len(), 30);

    // The constraints hold again: a taken version is refused, the stream continues.
    let s = stream("bulk-2");
    let stale = fixture.store.append(s.clone(), ExpectedVersion::Exact(29), vec![appended()]).await;
    assert!(stale.is_err(), "{stale:?}");
    let after = fixture.store.append(s, ExpectedVersion::Exact(30), vec![appended()]).await.unwrap();
    assert_eq!((after.stream_version(), after.position()), (31, 91));

    // Not empty any more: declined, nothing received; chunk by chunk skips what is stored.
    let mut again = sent(&chunks);
    assert_eq!(fixture.store.import_into_empty(&mut again, &|_| {}).await.unwrap(), None);
    let mut skipped = 0;
    for chunk in unread(&mut again) {
        skipped += fixture.store.import(chunk).await.unwrap().skipped;
    }
    assert_eq!(skipped, 90);
}

/// Each refusal of an import into an empty store writes nothing and leaves the store empty with
/// its indexes, so that a correct import then succeeds in one transaction.
pub async fn a_refused_import_into_an_empty_store_leaves_it_empty_with_its_indexes(fixture: &Fixture) {
    let indexes = fixture.index_definitions().await;
    let good = three_chunks();
    let changed = |change: fn(&mut Vec<Vec<ImportedEvent>>)| {
        let mut chunks = good.clone();
        change(&mut chunks);
        chunks
    };
    let twice_across_chunks = changed(|c| c[2][5].event_id = c[0][7].event_id);
    let gap_in_the_second_chunk = changed(|c| c[1][4].stream_version += 1);
    let not_from_version_one = changed(|c| c[0][0].stream_version = 2);
    let twice_in_one_chunk = changed(|c| c[1][3].event_id = c[1][2].event_id);
    let schema_too_high = changed(|c| c[2][29].schema_version = infra::MAX_SCHEMA_VERSION + 1);
    for (name, chunks) in [
        ("an id twice across chunks", twice_across_chunks),
        ("a gap in the second chunk", gap_in_the_second_chunk),
        ("a stream not from version 1", not_from_version_one),
        ("an id twice in one chunk", twice_in_one_chunk),
        ("a schema version too high", schema_too_high),
    ] {
        let outcome = fixture.store.import_into_empty(&mut sent(&chunks), &|_| {}).await;
        match (name, &outcome) {
            // A backend that imports chunk by chunk only declines every import alike.
            (_, Ok(None)) if !fixture.imports_into_empty_in_one_transaction() => {}
            ("an id twice across chunks", Err(ImportError::DuplicateInImport { detail })) => {
                assert!(detail.contains(&chunks[0][7].event_id.0.to_string()), "the id is named: {detail}");
            }
            ("a gap in the second chunk", Err(ImportError::NonContiguousVersion { version, expected, .. }))
                if *version == expected + 1 => {}
            ("a stream not from version 1", Err(ImportError::NonContiguousVersion { version: 2, expected: 1, .. })) => {
            }
            ("an id twice in one chunk", Err(ImportError::DuplicateInBatch { .. })) => {}
            ("a schema version too high", Err(ImportError::SchemaVersionTooHigh { .. })) => {}
            _ => panic!("{name}: {outcome:?}"),
        }
        assert_eq!(fixture.store.head().await.unwrap(), 0, "{name}: nothing is written");
        assert!(fixture.store.read_all(0, 10).await.unwrap().is_empty(), "{name}");
        assert_eq!(fixture.index_definitions().await, indexes, "{name}: the indexes are back");
    }
    // A source that stops before its end (a producer's error or panic) writes nothing.
    let (sender, mut stopped) = mpsc::channel(4);
    sender.try_send(ImportFeed::Chunk(good[0].clone())).unwrap();
    sender.try_send(ImportFeed::Chunk(good[1].clone())).unwrap();
    drop(sender);
    match fixture.store.import_into_empty(&mut stopped, &|_| {}).await {
        Ok(None) if !fixture.imports_into_empty_in_one_transaction() => {}
        Err(ImportError::SourceStopped) => {}
        other => panic!("a source stopped before its end: {other:?}"),
    }
    assert_eq!(fixture.store.head().await.unwrap(), 0, "a stopped source writes nothing");
    assert_eq!(fixture.index_definitions().await, indexes);

    // A source with nothing but its end imports nothing, and leaves the indexes.
    let nothing = fixture.store.import_into_empty(&mut sent(&[]), &|_| {}).await.unwrap();
    if fixture.imports_into_empty_in_one_transaction() {
        assert_eq!(nothing.map(|r| (r.imported, r.head)), Some((0, 0)));
    }
    assert_eq!(fixture.index_definitions().await, indexes);

    let result = fixture.store.import_into_empty(&mut sent(&good), &|_| {}).await.unwrap();
    if fixture.imports_into_empty_in_one_transaction() {
        assert_eq!(result.map(|r| r.head), Some(90), "the store is still empty, and the bulk path still works");
    }
}

/// An append that comes while an import into the empty store runs waits for it and lands after
/// it, continuing the log.
pub async fn an_append_during_an_import_into_an_empty_store_lands_after_it(fixture: &Fixture) {
    let chunks = three_chunks();
    let (sender, mut receiver) = mpsc::channel(4);
    sender.send(ImportFeed::Chunk(chunks[0].clone())).await.unwrap();
    let importer = fixture.store.clone();
    let import = tokio::spawn(async move { importer.import_into_empty(&mut receiver, &|_| {}).await });
    if !fixture.imports_into_empty_in_one_transaction() {
        assert_eq!(import.await.unwrap().unwrap(), None, "SQLite declines");
        return;
    }
    fixture.wait_for_the_log_locked().await;
    // Another process's store, so that the append really is another transaction.
    let writer = fixture.writers(1).await.pop().unwrap();
    let append =
        tokio::spawn(
            async move { writer.append(stream("other-1"), ExpectedVersion::NoStream, vec![appended()]).await },
        );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!append.is_finished(), "the append waits for the import");
    for chunk in &chunks[1..] {
        sender.send(ImportFeed::Chunk(chunk.clone())).await.unwrap();
    }
    sender.send(ImportFeed::End).await.unwrap();
    let imported = import.await.unwrap().unwrap().unwrap();
    assert_eq!(imported.head, 90);
    let appended = append.await.unwrap().unwrap();
    assert_eq!((appended.stream_version(), appended.position()), (1, 91));
}
