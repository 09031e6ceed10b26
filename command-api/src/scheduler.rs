//! Scheduled publishing, exactly once however many processes run it.
//!
//! A scheduler tails the event log to know which items are scheduled and when. On each tick it
//! takes the items that are due, re-reads each one, and publishes it only if it is still
//! scheduled and due, appending at the exact version it read. Several schedulers (one per
//! command-api process) may try the same item; the store lets exactly one append land, and the
//! others see a version conflict and move on. Tests drive it with [`Scheduler::tick`] and a clock
//! of their choosing, no sleeping.
//!
//! It learns the schedule by reading the log from the start, but only the four event types that
//! change a schedule, filtered by the store ([`EventStore::read_stretch`]): the database still
//! scans each window (there is no index on the type) but sends only the matching rows, so a
//! process starting on a log of millions of views receives one row per scheduled, published,
//! unpublished or archived item instead of every event. (Receiving every event cost a starting
//! `folio serve` ~6 s of a core on the quick bench data, 2.5M events.) Each catch-up reads up to
//! the head it found when it began, so it ends however fast events keep coming.

use crate::content::{self, content_stream, ContentState, Status};
use crate::stream_state::{fold, LoadError};
use chrono::{DateTime, Utc};
use events::payloads::ContentId;
use events::{DomainEvent, EventId, ExpectedVersion, Metadata, Position};
use infra::{AppendError, EventStore, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Positions read per statement while catching up.
const WINDOW: u64 = 1_000_000;
pub const ACTOR: &str = "scheduler";

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot name an item's stream")]
    StreamId(#[from] events::StreamIdError),
    #[error("cannot encode the publish event")]
    Encode(#[from] serde_json::Error),
}

/// How an event changes the schedule: `Some((item, Some(at)))` scheduled at `at`,
/// `Some((item, None))` no longer scheduled, `None` no change.
fn schedule_change(event: &DomainEvent) -> Option<(ContentId, Option<DateTime<Utc>>)> {
    match event {
        DomainEvent::ContentScheduled(e) => Some((e.content_id, Some(e.publish_at))),
        DomainEvent::ContentPublished(e) => Some((e.content_id, None)),
        DomainEvent::ContentUnpublished(e) | DomainEvent::ContentArchived(e) => Some((e.content_id, None)),
        DomainEvent::ContentTypeDefined(_)
        | DomainEvent::ContentTypeRevised(_)
        | DomainEvent::ContentCreated(_)
        | DomainEvent::ContentRevised(_)
        | DomainEvent::SlugClaimed(_)
        | DomainEvent::SlugReleased(_)
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
        | DomainEvent::ContentViewed(_)
        | DomainEvent::ContentLiked(_)
        | DomainEvent::ContentUnliked(_)
        | DomainEvent::ContentShared(_)
        | DomainEvent::ContentBookmarked(_)
        | DomainEvent::ContentUnbookmarked(_)
        | DomainEvent::ApiKeyIssued(_)
        | DomainEvent::ApiKeyRevoked(_)
        | DomainEvent::IdempotentRequestRecorded(_) => None,
    }
}

/// Event types that can change the schedule: the only ones the scheduler reads.
const SCHEDULE_EVENTS: &[&str] = &["ContentScheduled", "ContentPublished", "ContentUnpublished", "ContentArchived"];

pub struct Scheduler {
    store: Arc<dyn EventStore>,
    after: Position,
    due: HashMap<ContentId, DateTime<Utc>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").field("after", &self.after).field("scheduled", &self.due.len()).finish()
    }
}

impl Scheduler {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, after: 0, due: HashMap::new() }
    }

    /// Reads the log from where it left off up to the head it finds, and updates the schedule.
    /// An event it cannot decode is logged and passed over: one bad event must not stop every
    /// scheduled publish after it.
    pub async fn catch_up(&mut self) -> Result<(), SchedulerError> {
        let types: Vec<String> = SCHEDULE_EVENTS.iter().map(|t| (*t).to_owned()).collect();
        let target = self.store.head().await?;
        while self.after < target {
            let window = (target - self.after).min(WINDOW);
            let stretch = self.store.read_stretch(self.after, window, &types).await.map_err(LoadError::Store)?;
            for recorded in &stretch.events {
                let event = match DomainEvent::from_recorded(recorded) {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(position = recorded.position, %error, "scheduler passes over an event it cannot decode");
                        continue;
                    }
                };
                match schedule_change(&event) {
                    Some((id, Some(at))) => {
                        self.due.insert(id, at);
                    }
                    Some((id, None)) => {
                        self.due.remove(&id);
                    }
                    None => {}
                }
            }
            if stretch.through <= self.after {
                break;
            }
            self.after = stretch.through;
        }
        Ok(())
    }

    /// Publishes every item due at `now`; returns those this scheduler published.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<ContentId>, SchedulerError> {
        self.catch_up().await?;
        let due: Vec<ContentId> = self.due.iter().filter(|(_, at)| **at <= now).map(|(id, _)| *id).collect();
        let mut published = Vec::new();
        for id in due {
            let stream = content_stream(id)?;
            // The publish is caused by the event that scheduled it, in the same conversation.
            let mut cause: Option<(EventId, Option<uuid::Uuid>)> = None;
            let item = fold(self.store.as_ref(), &stream, |state: ContentState, event, recorded| {
                if matches!(event, DomainEvent::ContentScheduled(_)) {
                    cause = Some((recorded.event_id, recorded.metadata.correlation_id));
                }
                content::evolve(state, event, recorded.metadata.actor.as_deref())
            })
            .await?;
            let at = match (item.state.status, item.state.publish_at) {
                (Status::Scheduled, Some(at)) if at <= now => at,
                (Status::Scheduled, Some(later)) => {
                    self.due.insert(id, later);
                    continue;
                }
                _ => {
                    self.due.remove(&id);
                    continue;
                }
            };
            // Published at the scheduled moment, not whenever this tick ran.
            // Still scheduled, so neither missing nor archived: the decision is a publish.
            let Ok(Some(event)) = content::decide_publish(&item.state, id, at) else { continue };
            let metadata = Metadata {
                actor: Some(ACTOR.into()),
                request_id: None,
                correlation_id: cause.and_then(|(_, correlation)| correlation),
                causation_id: cause.map(|(scheduled, _)| scheduled.0),
            };
            let new_event = event.to_new_event(EventId::now_v7(), metadata)?;
            match self.store.append(stream, ExpectedVersion::Exact(item.version), vec![new_event]).await {
                Ok(_) => {
                    self.due.remove(&id);
                    published.push(id);
                }
                // Another scheduler published it, or the item changed: the next tick re-reads.
                Err(StoreError::Append(AppendError::WrongExpectedVersion { .. })) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(published)
    }

    /// Ticks every `every` until the task is dropped; failures are logged and retried next tick.
    pub async fn run(mut self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match self.tick(Utc::now()).await {
                Ok(published) if !published.is_empty() => {
                    tracing::info!(count = published.len(), "published scheduled items")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error, "scheduler tick failed; retrying next tick"),
            }
        }
    }
}
