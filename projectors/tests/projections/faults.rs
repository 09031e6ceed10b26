//! Faults: poison events, events that cannot apply, projectors dropped mid-batch, redelivery.

use crate::dump::{self, dump};
use crate::fixture::{runner_config, Fixture};
use crate::world::World;
use async_trait::async_trait;
use events::{EventId, ExpectedVersion, Metadata, NewEvent, Position, StreamId};
use infra::EventStore;
use projectors::feed::{Batch, FeedError};
use projectors::{all_projections, Feed, Runner, StoreFeed};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn append_raw(f: &Fixture, stream: &str, event_type: &str, data: serde_json::Value) {
    let event = NewEvent {
        event_id: EventId::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data,
        metadata: Metadata::default(),
    };
    f.store.append(StreamId::parse(stream).unwrap(), ExpectedVersion::Any, vec![event]).await.unwrap();
}

pub async fn an_undecodable_event_is_parked_and_the_projection_goes_on(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a = w.create("article", "a", json!({"title": "A"})).await;
    w.view("article", a, "u1", 1).await;
    append_raw(f, "activity-u2", "ContentViewed", json!({"content_id": "not a uuid"})).await;
    let bad = f.store.head().await.unwrap();
    w.view("article", a, "u3", 2).await;
    f.drain().await;
    let parked = f.read.parked("engagement").await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].position, bad);
    assert!(parked[0].error.contains("payload does not match"), "{}", parked[0].error);
    assert_eq!(dump::counters(&f.read).await[0]["views"], 2, "the events around it were applied");
    assert_eq!(f.read.checkpoint("engagement").await.unwrap(), f.store.head().await.unwrap());
    assert!(f.read.parked("content").await.unwrap().is_empty(), "other projections never saw it");
    // Replaying it without a fix fails again: it stays parked, and the report says why.
    let engagement = projectors::all_projections().into_iter().find(|p| p.name() == "engagement").unwrap();
    let replayed =
        projectors::rebuild::reset::replay_parked(f.store.as_ref(), &f.read, engagement.as_ref()).await.unwrap();
    assert_eq!(replayed.applied, 0);
    assert!(replayed.still_parked[0].error.contains("payload does not match"), "{replayed:?}");
    assert_eq!(f.read.parked("engagement").await.unwrap().len(), 1);
}

pub async fn an_event_that_cannot_apply_is_retried_then_parked(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a = w.create("article", "a", json!({"title": "A"})).await;
    // A revision of an item that was never created: decodes, but the projection refuses it.
    let ghost = w.id();
    w.revise("article", ghost, json!({"title": "Ghost"})).await;
    let bad = f.store.head().await.unwrap();
    let b = w.create("article", "b", json!({"title": "B"})).await;
    f.drain().await;
    let parked = f.read.parked("content").await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].position, bad);
    assert_eq!(parked[0].attempts, runner_config().retries);
    assert!(parked[0].error.contains("never created"), "{}", parked[0].error);
    let items = dump::items(&f.read).await;
    let ids: Vec<_> = items.as_array().unwrap().iter().map(|i| i["id"].clone()).collect();
    assert_eq!(ids, vec![json!(a), json!(b)], "the rest of the batch was applied");
}

pub async fn a_projector_dropped_mid_batch_ends_equal_to_a_clean_rebuild(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    let writer = {
        let w = w.clone();
        tokio::spawn(async move {
            for i in 0..400_i64 {
                let a =
                    w.create("article", &format!("a{i}"), json!({"title": format!("A{i}"), "author": author})).await;
                w.publish("article", a, i).await;
                w.view("article", a, &format!("u{}", i % 7), i).await;
                w.comment("article", a, None, "u", "hi").await;
                if i % 50 == 0 {
                    w.revise("author", author, json!({"name": format!("Au{i}")})).await;
                }
            }
        })
    };
    // Start and kill every projector again and again while the writer appends.
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..25 {
        let mut tasks = Vec::new();
        for projection in all_projections() {
            let config = projectors::RunnerConfig { batch_size: 1 + rng.usize(0..200), ..runner_config() };
            let feed = Box::new(StoreFeed::new(f.store.clone()));
            let runner = Runner::new(projection, f.read.clone(), feed, None, config).await.unwrap();
            let (_stop, stop_rx) = tokio::sync::watch::channel(false);
            tasks.push(tokio::spawn(async move {
                let _keep = _stop;
                runner.run(stop_rx).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(5..60))).await;
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
    writer.await.unwrap();
    f.drain().await;
    let rebuilt = f.another_read_store().await;
    f.drain_into(&rebuilt).await;
    dump::assert_same(&dump(&f.read).await, &dump(&rebuilt).await, "live vs rebuilt");
    assert_eq!(dump::counters(&f.read).await.as_array().unwrap().len(), 400);
}

/// A feed that hands every batch out again with the events before it (as NATS redelivery or a
/// relay re-publish would).
struct Redelivering {
    store: Arc<dyn EventStore>,
}

#[async_trait]
impl Feed for Redelivering {
    async fn next_batch(&mut self, after: Position, max: usize, _: Duration) -> Result<Batch, FeedError> {
        Ok(Batch::contiguous(self.store.read_all(after.saturating_sub(5), max + 5).await?, after))
    }

    async fn acknowledge(&mut self, _: Position) -> Result<(), FeedError> {
        Ok(())
    }
}

pub async fn redelivered_events_change_nothing(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a = w.create("article", "a", json!({"title": "A"})).await;
    for i in 0..30 {
        w.view("article", a, "u1", i).await;
        w.toggle(if i % 2 == 0 { "like" } else { "unlike" }, "article", a, "u1", i).await;
        w.comment("article", a, None, "u1", "c").await;
    }
    let head = f.store.head().await.unwrap();
    for projection in all_projections() {
        let feed = Box::new(Redelivering { store: f.store.clone() });
        let config = projectors::RunnerConfig { batch_size: 3, ..runner_config() };
        let mut runner = Runner::new(projection, f.read.clone(), feed, None, config).await.unwrap();
        runner.run_until(head).await.unwrap();
    }
    let counters = dump::counters(&f.read).await;
    assert_eq!(counters[0]["views"], 30);
    assert_eq!(counters[0]["likes"], 0);
    assert_eq!(counters[0]["comments"], 30);
    let clean = f.another_read_store().await;
    f.drain_into(&clean).await;
    dump::assert_same(&dump(&f.read).await, &dump(&clean).await, "redelivered vs clean");
}

/// A broken feed: hands out an event beyond the batch it claims.
struct Broken {
    store: Arc<dyn EventStore>,
}

#[async_trait]
impl Feed for Broken {
    async fn next_batch(&mut self, after: Position, _: usize, _: Duration) -> Result<Batch, FeedError> {
        let events = self.store.read_all(after, 2).await?;
        Ok(Batch { events, through: after + 1 })
    }

    async fn acknowledge(&mut self, _: Position) -> Result<(), FeedError> {
        Ok(())
    }
}

pub async fn a_runner_that_cannot_go_on_stops_and_says_halted(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let projection = all_projections().remove(0);
    let name = projection.name();
    let feed = Box::new(Broken { store: f.store.clone() });
    let runner = Runner::new(projection, f.read.clone(), feed, None, runner_config()).await.unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let error = runner.run(stopped).await.unwrap_err();
    assert!(matches!(error, projectors::RunnerError::OutOfOrder { .. }), "{error}");
    let rows = f.read.checkpoints().await.unwrap();
    assert_eq!(rows.iter().find(|r| r.projection == name).unwrap().state, "halted");
}

/// A live subscription holds a pooled connection (LISTEN on PostgreSQL): a dropped feed must give
/// it back while it waits for new events, or a few dropped feeds exhaust the store's pool.
pub async fn a_dropped_feed_gives_back_its_connection(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let pool_size = crate::fixture::store_config().pool_size;
    for _ in 0..pool_size * 2 {
        let mut feed = StoreFeed::new(f.store.clone());
        // Its reader is live (subscribed) once it has delivered the first event.
        let events = feed.next_events(0, 1, Duration::from_millis(1)).await.unwrap();
        assert_eq!(events.len(), 1);
    }
    let head = tokio::time::timeout(Duration::from_secs(10), f.store.head()).await;
    assert!(head.expect("the store's pool is exhausted").is_ok());
}
