//! Many appenders at once in each of several writers (processes, on PostgreSQL), so batches
//! queue behind one another's commits (where a writer reads the next batch's state ahead) and
//! race other writers for the head. Appenders mix `Any` appends to shared streams, counters kept
//! with `Exact` (re-deciding when they lose), first appends with `NoStream`, and retries of
//! acknowledged appends. Every acknowledged result must be what the log holds, and the log must
//! stay gap-free with contiguous stream versions.

use crate::cases::{new_event, stream};
use crate::fixture::Fixture;
use events::{ExpectedVersion, NewEvent, StreamId};
use infra::{AppendError, AppendResult, EventStore, StoreError};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const WRITERS: usize = 3;
const APPENDERS_PER_WRITER: usize = 24;
const ROUNDS: usize = 40;
const SHARED_STREAMS: usize = 6;
const COUNTERS: usize = 3;

/// What one appender was told: the result of every acknowledged append, with what it appended.
type Acknowledged = Vec<(AppendResult, Vec<NewEvent>)>;

async fn appender(store: Arc<dyn EventStore>, writer: usize, appender: usize) -> Acknowledged {
    let mut acknowledged = Acknowledged::new();
    let mut rng = fastrand::Rng::with_seed((writer * 1000 + appender) as u64);
    let own = stream(&format!("own-w{writer}a{appender}"));
    for round in 0..ROUNDS {
        let events: Vec<NewEvent> =
            (0..rng.usize(1..=3)).map(|i| new_event(json!({ "round": round, "i": i }))).collect();
        let result = match rng.usize(0..4) {
            0 => {
                let shared = stream(&format!("shared-{}", rng.usize(0..SHARED_STREAMS)));
                store.append(shared, ExpectedVersion::Any, events.clone()).await.unwrap()
            }
            1 => increment(store.as_ref(), &stream(&format!("counter-{}", rng.usize(0..COUNTERS))), &events).await,
            2 if round == 0 => store.append(own.clone(), ExpectedVersion::NoStream, events.clone()).await.unwrap(),
            _ => store.append(own.clone(), ExpectedVersion::Any, events.clone()).await.unwrap(),
        };
        if rng.usize(0..5) == 0 {
            let retried = store.append(result.stream.clone(), ExpectedVersion::NoStream, events.clone()).await;
            assert_eq!(retried.unwrap(), result, "a retry answers the original result, whatever it expects");
        }
        acknowledged.push((result, events));
    }
    acknowledged
}

/// Appends at the stream's exact version, reading the version again after each lost race.
async fn increment(store: &dyn EventStore, counter: &StreamId, events: &[NewEvent]) -> AppendResult {
    let mut version = store.stream_version(counter).await.unwrap();
    loop {
        let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
        match store.append(counter.clone(), expected, events.to_vec()).await {
            Ok(result) => return result,
            Err(StoreError::Append(AppendError::WrongExpectedVersion { actual, .. })) => {
                assert_ne!(actual, version, "a refusal names another version than the one expected");
                version = actual;
            }
            Err(other) => panic!("increment failed: {other:?}"),
        }
    }
}

pub async fn many_appenders_in_several_writers_get_exactly_what_the_log_holds(fixture: &Fixture) {
    let mut tasks = Vec::new();
    for (w, store) in fixture.writers(WRITERS).await.into_iter().enumerate() {
        for a in 0..APPENDERS_PER_WRITER {
            tasks.push(tokio::spawn(appender(store.clone(), w, a)));
        }
    }
    let mut acknowledged = Acknowledged::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }

    let log = fixture.store.read_all(0, 1_000_000).await.unwrap();
    let expected_events: usize = acknowledged.iter().map(|(_, events)| events.len()).sum();
    assert_eq!(log.len(), expected_events, "the log holds every acknowledged event once, and nothing else");
    assert_eq!(fixture.store.head().await.unwrap(), log.len() as u64);
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    for (i, event) in log.iter().enumerate() {
        assert_eq!(event.position, i as u64 + 1, "positions are gap-free");
        let version = versions.entry(event.stream_id.clone()).or_insert(0);
        assert_eq!(event.stream_version, *version + 1, "{}: versions are contiguous", event.stream_id);
        *version = event.stream_version;
    }
    for (result, events) in &acknowledged {
        assert_eq!(result.events.len(), events.len(), "one result per appended event");
        for (appended, event) in result.events.iter().zip(events) {
            assert_eq!(appended.event_id, event.event_id, "results come in the order the events were given");
            let stored = &log[appended.position as usize - 1];
            assert_eq!(stored.event_id, event.event_id, "the acknowledged position holds the acknowledged event");
            assert_eq!(stored.stream_id, result.stream);
            assert_eq!(stored.stream_version, appended.stream_version);
            assert_eq!(stored.data, event.data);
        }
    }
}
