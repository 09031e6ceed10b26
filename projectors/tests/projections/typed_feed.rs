//! `TypedFeed`: only the projection's event types, windows merged up to the batch size, and a
//! reader that follows the runner when its checkpoint moves.

use crate::fixture::Fixture;
use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
use projectors::engagement::EngagementProjection;
use projectors::feed::TypedFeed;
use projectors::Feed;
use serde_json::json;
use std::time::Duration;

fn event(event_type: &str, n: u64) -> NewEvent {
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data: json!({ "n": n }),
        metadata: Metadata::default(),
    }
}

fn positions(batch: &projectors::feed::Batch) -> Vec<u64> {
    batch.events.iter().map(|e| e.position).collect()
}

pub async fn a_typed_feed_hands_out_its_types_and_follows_a_moved_checkpoint(f: &Fixture) {
    // Positions 1..=40: a view everywhere but at every fourth, a key issue (not engagement's).
    let stream = StreamId::parse("typed-1").unwrap();
    for n in 1..=40 {
        let event_type = if n % 4 == 0 { "ApiKeyIssued" } else { "ContentViewed" };
        f.store.append(stream.clone(), ExpectedVersion::Any, vec![event(event_type, n)]).await.unwrap();
    }
    let linger = Duration::from_millis(1);
    let mut feed = TypedFeed::new(f.store.clone(), &EngagementProjection);

    // Windows of 5 positions; a batch stops before it would hold more than 5 events.
    let first = feed.next_batch(0, 5, linger).await.unwrap();
    assert_eq!(positions(&first), vec![1, 2, 3, 5], "only engagement's types, in order");
    assert_eq!(first.through, 5);
    // Let the reader read ahead, so the next batch leaves the stretch after it pending.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = feed.next_batch(5, 5, linger).await.unwrap();
    assert_eq!(positions(&second), vec![6, 7, 9, 10]);
    assert_eq!(second.through, 10);

    // The runner's checkpoint went back (a rollback, a reset): the feed starts there again,
    // never with a stretch it had read ahead from elsewhere.
    let again = feed.next_batch(0, 5, linger).await.unwrap();
    assert_eq!((positions(&again), again.through), (vec![1, 2, 3, 5], 5));

    // Read to the head: every view once, nothing else.
    let mut seen = positions(&again);
    let mut at = again.through;
    while at < 40 {
        let batch = feed.next_batch(at, 5, linger).await.unwrap();
        assert!(batch.through > at, "a batch always moves on");
        assert!(batch.events.len() <= 5);
        seen.extend(positions(&batch));
        at = batch.through;
    }
    assert_eq!(seen, (1..=40).filter(|n| n % 4 != 0).collect::<Vec<u64>>());
}
