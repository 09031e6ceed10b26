//! The ordering test: 16 concurrent writers x 2,000 appends of 1-5 events each, while a
//! subscriber tails the global log from the start. The subscriber must see every committed event
//! exactly once, in strictly increasing (and gap-free) positions, and end with the store's count.

use crate::fixture::Fixture;
use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const WRITERS: usize = 16;
const APPENDS_PER_WRITER: usize = 2_000;
const STREAMS_PER_WRITER: usize = 40;

fn event(writer: usize, append: usize, index: usize) -> NewEvent {
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: "OrderingProbe".into(),
        schema_version: 1,
        data: serde_json::json!({"writer": writer, "append": append, "index": index}),
        metadata: Metadata::default(),
    }
}

/// How many events each append of each writer carries (1-5, fixed by a seed so the total is known).
fn plan() -> Vec<Vec<usize>> {
    (0..WRITERS)
        .map(|w| {
            let mut rng = fastrand::Rng::with_seed(w as u64);
            (0..APPENDS_PER_WRITER).map(|_| rng.usize(1..=5)).collect()
        })
        .collect()
}

pub async fn run(fixture: &Fixture) {
    let plan = plan();
    let total: usize = plan.iter().flatten().sum();
    let writers = fixture.writers(WRITERS).await;

    // The subscriber tails from the start while the writers write.
    let mut subscription = fixture.store.subscribe_all(0);
    let subscriber = tokio::spawn(async move {
        let mut seen = Vec::with_capacity(total);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        while seen.len() < total {
            let next = tokio::time::timeout_at(deadline, subscription.next()).await;
            let event = next.expect("subscriber stalled before seeing every event").unwrap().unwrap();
            // Fail at the first skip, not at the deadline: positions are gap-free by contract.
            assert_eq!(event.position, seen.len() as u64 + 1, "the subscriber skipped or repeated a position");
            seen.push(event);
        }
        let nothing_more = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await;
        assert!(nothing_more.is_err(), "no event after the last committed one");
        seen
    });

    let mut tasks = Vec::new();
    for ((w, store), sizes) in writers.into_iter().enumerate().zip(plan) {
        tasks.push(tokio::spawn(async move {
            let mut written = Vec::new();
            for (a, size) in sizes.into_iter().enumerate() {
                let stream = StreamId::parse(format!("probe-w{w}s{}", a % STREAMS_PER_WRITER)).unwrap();
                let events: Vec<NewEvent> = (0..size).map(|i| event(w, a, i)).collect();
                let ids: Vec<EventId> = events.iter().map(|e| e.event_id).collect();
                store.append(stream, ExpectedVersion::Any, events).await.unwrap();
                written.extend(ids);
            }
            written
        }));
    }
    let mut written = HashSet::with_capacity(total);
    for task in tasks {
        written.extend(task.await.unwrap());
    }
    assert_eq!(written.len(), total);
    assert_eq!(fixture.store.head().await.unwrap(), total as u64, "head equals the number of committed events");

    let seen = subscriber.await.unwrap();
    let mut last_version: HashMap<StreamId, u64> = HashMap::new();
    let mut ids = HashSet::with_capacity(seen.len());
    for (i, event) in seen.iter().enumerate() {
        assert_eq!(event.position, i as u64 + 1, "positions are strictly increasing with no gap or repeat");
        assert!(ids.insert(event.event_id), "event {} seen twice", event.event_id);
        let version = last_version.entry(event.stream_id.clone()).or_insert(0);
        assert_eq!(event.stream_version, *version + 1, "stream versions follow log order");
        *version = event.stream_version;
    }
    assert_eq!(ids, written, "the subscriber saw exactly the committed events");
}
