//! Append → visible latency: views appended open-loop at a fixed rate while every projection
//! runs; an event is visible when the engagement projection's commit notice covers its position.
//! Measured from the start of the append call, so it includes the append itself.

use crate::measure::{histogram, Figures};
use events::payloads::{ContentCreated, ContentId, ContentTypeDefined, Engagement};
use events::{DomainEvent, EventId, ExpectedVersion, Metadata, Position, Slug, StreamId, TypeName, UserId};
use hdrhistogram::Histogram;
use infra::EventStore;
use projectors::feed::Feed;
use projectors::{all_projections, Notifier, ReadStore, Runner, RunnerConfig};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Positions appended but not yet seen, and the latencies of those seen.
struct Tracker {
    pending: BTreeMap<Position, Instant>,
    visible: Position,
    measuring_from: Instant,
    latency: Histogram<u64>,
    measured: u64,
}

impl Tracker {
    fn record(&mut self, started: Instant) {
        if started >= self.measuring_from {
            let _ = self.latency.record(started.elapsed().as_micros().max(1) as u64);
            self.measured += 1;
        }
    }
}

fn event(event: DomainEvent) -> Result<Vec<events::NewEvent>, serde_json::Error> {
    Ok(vec![event.to_new_event(EventId::now_v7(), Metadata::default())?])
}

/// A type and `articles` items for the views to point at.
pub async fn prepare(store: &dyn EventStore, articles: usize) -> Result<Vec<ContentId>, Box<dyn std::error::Error>> {
    let article = TypeName::parse("article")?;
    let definition =
        serde_json::from_value(json!({"fields": [{"name": "title", "kind": "string", "required": true}]}))?;
    let defined = DomainEvent::ContentTypeDefined(ContentTypeDefined { type_name: article.clone(), definition });
    store.append(StreamId::parse("type-article")?, ExpectedVersion::Any, event(defined)?).await?;
    let mut ids = Vec::with_capacity(articles);
    for i in 0..articles {
        let id = ContentId(uuid::Uuid::now_v7());
        let created = DomainEvent::ContentCreated(ContentCreated {
            content_type: article.clone(),
            content_id: id,
            slug: Slug::parse(format!("a-{i}"))?,
            fields: json!({"title": format!("A{i}")}).as_object().cloned().unwrap_or_default(),
        });
        store.append(StreamId::parse(format!("content-{}", id.0))?, ExpectedVersion::NoStream, event(created)?).await?;
        ids.push(id);
    }
    Ok(ids)
}

#[derive(Debug)]
pub struct Run {
    pub rate: u64,
    pub warmup: Duration,
    pub window: Duration,
    pub config: RunnerConfig,
}

/// Starts every projection on the feeds `feeds` makes, appends at `run.rate`, and measures.
pub async fn measure<F>(
    store: Arc<dyn EventStore>,
    read: &ReadStore,
    items: &[ContentId],
    run: &Run,
    mut feeds: F,
) -> Result<Figures, Box<dyn std::error::Error>>
where
    F: FnMut(&str) -> Box<dyn Feed>,
{
    let notifier = Notifier::local(65_536);
    let mut notices = notifier.subscribe().ok_or("a local notifier has receivers")?;
    let (stop, stopped) = watch::channel(false);
    let mut runners = Vec::new();
    for projection in all_projections() {
        let feed = feeds(projection.name());
        let runner = Runner::new(projection, read.clone(), feed, Some(notifier.clone()), run.config).await?;
        runners.push(tokio::spawn(runner.run(stopped.clone())));
    }
    let started = Instant::now();
    let tracker = Arc::new(Mutex::new(Tracker {
        pending: BTreeMap::new(),
        visible: 0,
        measuring_from: started + run.warmup,
        latency: histogram(),
        measured: 0,
    }));
    let watcher = {
        let tracker = tracker.clone();
        tokio::spawn(async move {
            while let Ok(notice) = notices.recv().await {
                if notice.projection != projectors::engagement::NAME {
                    continue;
                }
                let Ok(mut t) = tracker.lock() else { return };
                t.visible = t.visible.max(notice.position);
                let later = t.pending.split_off(&(notice.position + 1));
                let seen = std::mem::replace(&mut t.pending, later);
                for (_, began) in seen {
                    t.record(began);
                }
            }
        })
    };
    let per_tick = (run.rate / 1000).max(1);
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = started + run.warmup + run.window;
    let article = TypeName::parse("article")?;
    let mut appends = Vec::new();
    let mut n: u64 = 0;
    let mut errors = 0_u64;
    while Instant::now() < end {
        ticker.tick().await;
        for _ in 0..per_tick {
            n += 1;
            let user = UserId::parse(format!("{}", n % 100_000))?;
            let viewed = DomainEvent::ContentViewed(Engagement {
                content_type: article.clone(),
                content_id: items[(n as usize * 7919) % items.len()],
                user: user.clone(),
                at: chrono::Utc::now(),
            });
            let (store, tracker) = (store.clone(), tracker.clone());
            let stream = StreamId::parse(format!("activity-{user}"))?;
            let events = event(viewed)?;
            appends.push(tokio::spawn(async move {
                let began = Instant::now();
                let result = store.append(stream, ExpectedVersion::Any, events).await.ok()?;
                let position = result.events.last()?.position;
                let mut t = tracker.lock().ok()?;
                if position <= t.visible {
                    t.record(began);
                } else {
                    t.pending.insert(position, began);
                }
                Some(())
            }));
        }
        if appends.len() > 10_000 {
            for task in appends.drain(..5_000) {
                errors += u64::from(task.await.ok().flatten().is_none());
            }
        }
    }
    for task in appends {
        errors += u64::from(task.await.ok().flatten().is_none());
    }
    // Let the last events become visible (or count them as lost after 10 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && tracker.lock().map(|t| !t.pending.is_empty()).unwrap_or(false) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(true);
    for runner in runners {
        runner.await??;
    }
    watcher.abort();
    let t = tracker.lock().map_err(|_| "tracker poisoned")?;
    Ok(Figures {
        operations: t.measured,
        elapsed: run.window,
        latency: t.latency.clone(),
        errors: errors + t.pending.len() as u64,
    })
}
