//! The contract cases. Each takes a fresh, empty store.

use crate::fixture::Fixture;
use events::{EventId, ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamId};
use futures_util::StreamExt;
use infra::{AppendError, StoreError};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

pub use crate::contention::*;
pub use crate::import_cases::*;
pub use crate::stretch_cases::*;

pub fn stream(name: &str) -> StreamId {
    StreamId::parse(name).unwrap()
}

pub fn new_event(data: Value) -> NewEvent {
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: "ContentViewed".into(),
        schema_version: 1,
        data,
        metadata: Metadata {
            actor: Some("key-1".into()),
            request_id: Some("req-1".into()),
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
        },
    }
}

fn events(n: usize) -> Vec<NewEvent> {
    (0..n).map(|i| new_event(json!({ "n": i }))).collect()
}

fn wrong_version(result: Result<infra::AppendResult, StoreError>) -> u64 {
    match result {
        Err(StoreError::Append(AppendError::WrongExpectedVersion { actual, .. })) => actual,
        other => panic!("expected a wrong-expected-version conflict, got {other:?}"),
    }
}

async fn read_everything(fixture: &Fixture) -> Vec<RecordedEvent> {
    fixture.store.read_all(0, 1_000_000).await.unwrap()
}

pub async fn two_writers_at_the_same_version_exactly_one_wins(fixture: &Fixture) {
    let s = stream("race-1");
    fixture.store.append(s.clone(), ExpectedVersion::NoStream, events(1)).await.unwrap();
    for round in 1..=20u64 {
        let racers = (0..8).map(|_| {
            let store = fixture.store.clone();
            let s = s.clone();
            tokio::spawn(async move { store.append(s, ExpectedVersion::Exact(round), events(1)).await })
        });
        let outcomes = futures_util::future::join_all(racers).await;
        let (won, lost): (Vec<_>, Vec<_>) = outcomes.into_iter().map(|o| o.unwrap()).partition(Result::is_ok);
        assert_eq!(won.len(), 1, "round {round}: exactly one writer wins");
        for loss in lost {
            assert_eq!(wrong_version(loss), round + 1, "the loser learns the current version");
        }
    }
    assert_eq!(fixture.store.stream_version(&s).await.unwrap(), 21);
    assert_eq!(fixture.store.head().await.unwrap(), 21);
}

pub async fn a_retry_with_the_same_ids_returns_the_original_result(fixture: &Fixture) {
    let s = stream("retry-1");
    let batch = events(2);
    let original = fixture.store.append(s.clone(), ExpectedVersion::NoStream, batch.clone()).await.unwrap();
    assert_eq!(original.stream_version(), 2);
    assert_eq!(original.position(), 2);

    let retry = fixture.store.append(s.clone(), ExpectedVersion::NoStream, batch.clone()).await.unwrap();
    assert_eq!(retry, original);

    // Later appends move the stream on; a late retry still gets the original answer.
    fixture.store.append(s.clone(), ExpectedVersion::Exact(2), events(1)).await.unwrap();
    let mut late = batch.clone();
    late[0].metadata.request_id = Some("another request".into());
    assert_eq!(fixture.store.append(s.clone(), ExpectedVersion::NoStream, late).await.unwrap(), original);

    assert_eq!(fixture.store.head().await.unwrap(), 3, "retries appended nothing");
    assert_eq!(fixture.store.read_stream(&s, 1, 100).await.unwrap().len(), 3);
}

pub async fn the_same_id_with_other_content_is_refused_and_writes_nothing(fixture: &Fixture) {
    let s = stream("retry-2");
    let batch = events(2);
    fixture.store.append(s.clone(), ExpectedVersion::Any, batch.clone()).await.unwrap();

    let mut altered = batch.clone();
    altered[1].data = json!({"n": "changed"});
    let partial = vec![batch[0].clone(), new_event(json!({}))];
    let elsewhere = batch.clone();
    for (target, attempt) in [(s.clone(), altered), (s.clone(), partial), (stream("retry-3"), elsewhere)] {
        match fixture.store.append(target, ExpectedVersion::Any, attempt).await {
            Err(StoreError::Append(AppendError::IdempotencyConflict { .. })) => {}
            other => panic!("expected an idempotency conflict, got {other:?}"),
        }
    }
    assert_eq!(fixture.store.head().await.unwrap(), 2);
    assert_eq!(fixture.store.stream_version(&stream("retry-3")).await.unwrap(), 0);
}

pub async fn no_stream_and_any_and_empty_appends(fixture: &Fixture) {
    let s = stream("expect-1");
    assert_eq!(fixture.store.stream_version(&s).await.unwrap(), 0);
    let first = fixture.store.append(s.clone(), ExpectedVersion::NoStream, events(1)).await.unwrap();
    assert_eq!(first.stream_version(), 1);
    assert_eq!(wrong_version(fixture.store.append(s.clone(), ExpectedVersion::NoStream, events(1)).await), 1);
    assert_eq!(wrong_version(fixture.store.append(s.clone(), ExpectedVersion::Exact(0), events(1)).await), 1);
    assert_eq!(wrong_version(fixture.store.append(s.clone(), ExpectedVersion::Exact(5), events(1)).await), 1);
    let any = fixture.store.append(s.clone(), ExpectedVersion::Any, events(2)).await.unwrap();
    assert_eq!(any.stream_version(), 3);
    let fresh = fixture.store.append(stream("expect-2"), ExpectedVersion::Any, events(1)).await.unwrap();
    assert_eq!(fresh.stream_version(), 1);
    let exact_zero = fixture.store.append(stream("expect-3"), ExpectedVersion::Exact(0), events(1)).await.unwrap();
    assert_eq!(exact_zero.stream_version(), 1);
    assert!(matches!(
        fixture.store.append(s.clone(), ExpectedVersion::Any, vec![]).await,
        Err(StoreError::Append(AppendError::Empty))
    ));
    assert_eq!(fixture.store.head().await.unwrap(), 5);
}

pub async fn read_stream_and_read_all_page_in_order(fixture: &Fixture) {
    let a = stream("page-a");
    let b = stream("page-b");
    for i in 0..25 {
        fixture.store.append(a.clone(), ExpectedVersion::Exact(i), vec![new_event(json!({"a": i}))]).await.unwrap();
        fixture.store.append(b.clone(), ExpectedVersion::Any, vec![new_event(json!({"b": i}))]).await.unwrap();
    }
    let mut versions = Vec::new();
    for from in [1, 11, 21, 26] {
        let page = fixture.store.read_stream(&a, from, 10).await.unwrap();
        assert!(page.iter().all(|e| e.stream_id == a));
        versions.extend(page.iter().map(|e| e.stream_version));
    }
    assert_eq!(versions, (1..=25).collect::<Vec<_>>());
    assert!(fixture.store.read_stream(&stream("page-none"), 1, 10).await.unwrap().is_empty());

    let mut after = 0;
    let mut positions = Vec::new();
    loop {
        let page = fixture.store.read_all(after, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        after = page.last().unwrap().position;
        positions.extend(page.iter().map(|e| e.position));
    }
    assert_eq!(positions, (1..=50).collect::<Vec<_>>());
    let all = read_everything(fixture).await;
    assert_eq!(all[0].data, json!({"a": 0}));
    assert_eq!(all[1].data, json!({"b": 0}));
    assert_eq!(fixture.store.head().await.unwrap(), 50);
}

pub async fn a_one_mebibyte_event_round_trips(fixture: &Fixture) {
    let big = "x".repeat(1024 * 1024);
    let event = new_event(json!({ "body": big }));
    fixture.store.append(stream("big-1"), ExpectedVersion::Any, vec![event.clone()]).await.unwrap();
    let stored = fixture.store.read_stream(&stream("big-1"), 1, 1).await.unwrap();
    assert_eq!(stored[0].data, event.data);
    assert_eq!(stored[0].event_id, event.event_id);
}

pub async fn unicode_round_trips_exactly(fixture: &Fixture) {
    let texts = json!({
        "greek": "Ελληνικά", "rtl": "مرحبا بالعالم", "cjk": "漢字かなカナ", "emoji": "👩🏽‍💻🚀",
        "combining": "e\u{301}", "controls": "tab\tnewline\nbell\u{7}nul\u{0}", "quote": "\"\\'",
        "keys are unicode too: ключ": ["ü", "ß"]
    });
    let mut event = new_event(texts.clone());
    event.metadata.actor = Some("редактор 👤".into());
    fixture.store.append(stream("unicode-1"), ExpectedVersion::Any, vec![event.clone()]).await.unwrap();
    let stored = &fixture.store.read_stream(&stream("unicode-1"), 1, 1).await.unwrap()[0];
    assert_eq!(stored.data, texts);
    assert_eq!(stored.metadata, event.metadata);
}

pub async fn a_ten_thousand_event_stream(fixture: &Fixture) {
    let s = stream("long-1");
    for chunk in 0..100u64 {
        let batch = (0..100).map(|i| new_event(json!({"i": chunk * 100 + i}))).collect();
        fixture.store.append(s.clone(), ExpectedVersion::Exact(chunk * 100), batch).await.unwrap();
    }
    assert_eq!(fixture.store.stream_version(&s).await.unwrap(), 10_000);
    let mut from = 1;
    let mut count = 0u64;
    loop {
        let page = fixture.store.read_stream(&s, from, 1_000).await.unwrap();
        let Some(last) = page.last() else { break };
        for event in &page {
            count += 1;
            assert_eq!(event.stream_version, count);
            assert_eq!(event.data, json!({"i": count - 1}));
        }
        from = last.stream_version + 1;
    }
    assert_eq!(count, 10_000);
}

pub async fn one_stale_append_fails_alone_among_concurrent_appends(fixture: &Fixture) {
    let contended = stream("stale-0");
    fixture.store.append(contended.clone(), ExpectedVersion::NoStream, events(3)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = fixture.store.clone();
        tasks.push(tokio::spawn(async move {
            store.append(StreamId::parse(format!("fresh-{i}")).unwrap(), ExpectedVersion::NoStream, events(2)).await
        }));
        if i % 4 == 0 {
            let store = fixture.store.clone();
            let s = contended.clone();
            tasks.push(tokio::spawn(async move { store.append(s, ExpectedVersion::Exact(1), events(1)).await }));
        }
    }
    let outcomes = futures_util::future::join_all(tasks).await;
    let mut ok = 0;
    for outcome in outcomes {
        match outcome.unwrap() {
            Ok(result) => {
                assert!(result.stream.as_str().starts_with("fresh-"));
                ok += 1;
            }
            Err(error) => assert_eq!(wrong_version(Err(error)), 3),
        }
    }
    assert_eq!(ok, 64, "every fresh append succeeded, whatever batch it shared with a stale one");
    assert_eq!(fixture.store.head().await.unwrap(), 3 + 128);
}

pub async fn next(subscription: &mut infra::EventStream) -> RecordedEvent {
    let event = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await;
    event.expect("no event within 10 s").expect("subscription ended").unwrap()
}

pub async fn subscribe_catches_up_then_goes_live(fixture: &Fixture) {
    let s = stream("sub-1");
    fixture.store.append(s.clone(), ExpectedVersion::Any, events(5)).await.unwrap();
    let mut subscription = fixture.store.subscribe_all(2);
    for expected in 3..=5 {
        assert_eq!(next(&mut subscription).await.position, expected);
    }
    let writer = fixture.store.clone();
    let s2 = s.clone();
    let live = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer.append(s2, ExpectedVersion::Exact(5), events(2)).await.unwrap()
    });
    assert_eq!(next(&mut subscription).await.position, 6);
    assert_eq!(next(&mut subscription).await.position, 7);
    assert_eq!(live.await.unwrap().position(), 7);
}

pub async fn acknowledged_events_survive_a_restart(fixture: &Fixture) {
    let s = stream("restart-1");
    let written = events(3);
    let result = fixture.store.append(s.clone(), ExpectedVersion::NoStream, written.clone()).await.unwrap();
    let before = read_everything(fixture).await;
    let reopened = fixture.reopen().await;
    let after = reopened.read_all(0, 100).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(
        after.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        written.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
    assert_eq!(reopened.head().await.unwrap(), result.position());
    let next = reopened.append(s, ExpectedVersion::Exact(3), events(1)).await.unwrap();
    assert_eq!(next.position(), 4);
}

pub async fn concurrent_writers_never_make_a_tailing_reader_skip_or_reorder(fixture: &Fixture) {
    crate::ordering::run(fixture).await;
}

fn request(stream_name: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> infra::AppendRequest {
    infra::AppendRequest { stream: stream(stream_name), expected, events }
}

pub async fn append_all_writes_every_stream_or_none(fixture: &Fixture) {
    let first = fixture
        .store
        .append_all(vec![
            request("item-1", ExpectedVersion::NoStream, events(2)),
            request("reservation-a", ExpectedVersion::NoStream, events(1)),
        ])
        .await
        .unwrap();
    assert_eq!(first.iter().map(|r| r.position()).collect::<Vec<_>>(), [2, 3]);

    let refused = fixture
        .store
        .append_all(vec![
            request("item-2", ExpectedVersion::NoStream, events(1)),
            request("reservation-a", ExpectedVersion::NoStream, events(1)),
        ])
        .await;
    assert_eq!(wrong_version(refused.map(|mut r| r.remove(0))), 1);
    assert_eq!(fixture.store.stream_version(&stream("item-2")).await.unwrap(), 0, "nothing of a refused group");
    assert_eq!(fixture.store.head().await.unwrap(), 3);

    assert!(matches!(fixture.store.append_all(vec![]).await, Err(StoreError::Append(AppendError::Empty))));
    let with_empty =
        vec![request("item-3", ExpectedVersion::Any, events(1)), request("item-4", ExpectedVersion::Any, vec![])];
    assert!(matches!(fixture.store.append_all(with_empty).await, Err(StoreError::Append(AppendError::Empty))));
}

/// A schema version above what every backend stores is refused whole, never kept clamped, and a
/// retry of it is refused the same way.
pub async fn a_schema_version_no_store_keeps_is_refused_and_writes_nothing(fixture: &Fixture) {
    let mut too_high = new_event(json!({}));
    too_high.schema_version = infra::MAX_SCHEMA_VERSION + 1;
    let group = vec![
        request("item-1", ExpectedVersion::NoStream, events(1)),
        request("item-2", ExpectedVersion::Any, vec![new_event(json!({})), too_high.clone()]),
    ];
    for _attempt in 0..2 {
        let refused = fixture.store.append_all(group.clone()).await;
        assert!(
            matches!(&refused, Err(StoreError::Append(AppendError::SchemaVersionTooHigh { event_id, schema_version: 32_768 }))
                if *event_id == too_high.event_id),
            "{refused:?}"
        );
        assert_eq!(fixture.store.head().await.unwrap(), 0, "nothing of the refused group");
    }
    let mut highest = new_event(json!({}));
    highest.schema_version = infra::MAX_SCHEMA_VERSION;
    fixture.store.append(stream("item-3"), ExpectedVersion::NoStream, vec![highest.clone()]).await.unwrap();
    let stored = fixture.store.event_by_id(highest.event_id).await.unwrap().unwrap();
    assert_eq!(stored.schema_version, infra::MAX_SCHEMA_VERSION);
}

pub async fn a_retried_group_returns_its_original_results(fixture: &Fixture) {
    let group = vec![
        request("item-1", ExpectedVersion::NoStream, events(1)),
        request("reservation-a", ExpectedVersion::NoStream, events(1)),
    ];
    let original = fixture.store.append_all(group.clone()).await.unwrap();
    assert_eq!(fixture.store.append_all(group).await.unwrap(), original);
    assert_eq!(fixture.store.head().await.unwrap(), 2);
}

pub async fn racing_groups_on_one_reservation_let_exactly_one_win(fixture: &Fixture) {
    for round in 0..10 {
        let racers = (0..8).map(|i| {
            let store = fixture.store.clone();
            tokio::spawn(async move {
                let group = vec![
                    request(&format!("item-{round}x{i}"), ExpectedVersion::NoStream, events(1)),
                    request(&format!("reservation-{round}"), ExpectedVersion::NoStream, events(1)),
                ];
                (i, store.append_all(group).await.is_ok())
            })
        });
        let outcomes = futures_util::future::join_all(racers).await;
        let winners: Vec<usize> =
            outcomes.into_iter().map(|o| o.unwrap()).filter(|(_, ok)| *ok).map(|(i, _)| i).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one create gets the reservation");
        for i in 0..8 {
            let version = fixture.store.stream_version(&stream(&format!("item-{round}x{i}"))).await.unwrap();
            assert_eq!(version, u64::from(winners[0] == i), "round {round}: a losing create leaves no item");
        }
    }
}

pub async fn streams_of_a_category_are_listed_in_order_and_paged(fixture: &Fixture) {
    for name in ["type-tag", "type-article", "typed-x", "types-y", "type_z-1", "tyre-1", "type-author"] {
        fixture.store.append(stream(name), ExpectedVersion::Any, events(2)).await.unwrap();
    }
    let category = events::Category::parse("type").unwrap();
    let all = fixture.store.list_streams(&category, None, 100).await.unwrap();
    let names: Vec<&str> = all.iter().map(StreamId::as_str).collect();
    assert_eq!(names, ["type-article", "type-author", "type-tag"], "each stream once, no neighbours");
    let first = fixture.store.list_streams(&category, None, 2).await.unwrap();
    let rest = fixture.store.list_streams(&category, first.last(), 2).await.unwrap();
    assert_eq!(rest.iter().map(StreamId::as_str).collect::<Vec<_>>(), ["type-tag"]);
    let none = fixture.store.list_streams(&events::Category::parse("nothing").unwrap(), None, 10).await.unwrap();
    assert!(none.is_empty());
}

pub async fn an_event_is_found_by_its_id(fixture: &Fixture) {
    let written = events(3);
    fixture.store.append(stream("find-1"), ExpectedVersion::Any, events(2)).await.unwrap();
    fixture.store.append(stream("find-2"), ExpectedVersion::Any, written.clone()).await.unwrap();
    let found = fixture.store.event_by_id(written[1].event_id).await.unwrap().unwrap();
    assert_eq!((found.stream_id.as_str(), found.stream_version, found.position), ("find-2", 2, 4));
    assert_eq!(found.data, written[1].data);
    assert!(fixture.store.event_by_id(EventId::now_v7()).await.unwrap().is_none());
}
