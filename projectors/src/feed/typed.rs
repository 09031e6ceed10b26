//! The event store read for one projection's event types only (every rebuild).
//!
//! The store filters the log by type ([`EventStore::read_stretch`]), so a projection that handles
//! a few types skips the rest without reading or parsing them, and each projection reads at its
//! own pace: one that is busy with its part of the log (content with the articles) does not hold
//! back another busy with a later part (engagement with the views), as one shared read would.
//! A task reads stretches ahead of the runner, so reading overlaps applying.

use super::{Batch, Feed, FeedError};
use crate::projection::Projection;
use async_trait::async_trait;
use events::{DomainEvent, Position};
use infra::{EventStore, StoreError, Stretch};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Stretches read ahead of the runner.
const AHEAD: usize = 16;
/// How long the reader waits at the head before it looks again.
const POLL: Duration = Duration::from_millis(50);

pub struct TypedFeed {
    store: Arc<dyn EventStore>,
    types: Arc<[String]>,
    /// The reading task's stretches, and the position the next one starts after.
    ahead: Option<(Position, mpsc::Receiver<Result<Stretch, StoreError>>)>,
    /// A stretch received but not handed out (it would have overfilled a batch).
    pending: Option<Stretch>,
}

impl std::fmt::Debug for TypedFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedFeed").field("types", &self.types).finish_non_exhaustive()
    }
}

impl TypedFeed {
    /// A feed of the event types `projection` handles, among those Folio knows
    /// (`DomainEvent::TYPES`): an unknown type it would accept is skipped here, where a
    /// [`super::StoreFeed`] would hand it over to be parked as undecodable.
    pub fn new(store: Arc<dyn EventStore>, projection: &dyn Projection) -> Self {
        let types: Vec<String> = DomainEvent::TYPES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| projection.handles(name))
            .map(String::from)
            .collect();
        Self { store, types: types.into(), ahead: None, pending: None }
    }

    /// Makes sure the reader continues after `after`; if it is elsewhere (the runner's checkpoint
    /// moved), it is replaced and whatever it had read is dropped, a pending stretch included.
    fn read_from(&mut self, after: Position, window: u64) {
        if self.ahead.as_ref().is_none_or(|(at, _)| *at != after) {
            self.pending = None;
            let (sender, receiver) = mpsc::channel(AHEAD);
            tokio::spawn(read_ahead(self.store.clone(), self.types.clone(), after, window, sender));
            self.ahead = Some((after, receiver));
        }
    }
}

async fn read_ahead(
    store: Arc<dyn EventStore>,
    types: Arc<[String]>,
    mut after: Position,
    window: u64,
    sender: mpsc::Sender<Result<Stretch, StoreError>>,
) {
    loop {
        let read = tokio::select! {
            () = sender.closed() => return,
            read = store.read_stretch(after, window, &types) => read,
        };
        match read {
            Ok(stretch) if stretch.through == after => {
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(POLL) => {}
                }
            }
            Ok(stretch) => {
                after = stretch.through;
                if sender.send(Ok(stretch)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        }
    }
}

#[async_trait]
impl Feed for TypedFeed {
    /// Stretches of `max` positions each, merged until the batch would hold more than `max`
    /// events or nothing more has been read yet. `linger` is not needed: a stretch that ends
    /// before the head was full, and one that ends at the head is all there is.
    async fn next_batch(&mut self, after: Position, max: usize, _linger: Duration) -> Result<Batch, FeedError> {
        let window = max.max(1) as u64;
        self.read_from(after, window);
        let mut batch = Batch { events: Vec::new(), through: after };
        loop {
            let next = match (self.pending.take(), self.ahead.as_mut()) {
                (Some(stretch), _) => Some(Ok(stretch)),
                (None, Some((_, receiver))) if batch.through > after => receiver.try_recv().ok(),
                (None, Some((_, receiver))) => receiver.recv().await,
                (None, None) => None,
            };
            let stretch = match next {
                Some(Ok(stretch)) => stretch,
                // Nothing more read yet: hand out what we have.
                None if batch.through > after => break,
                // The next call starts a new reader, which reports the failure again if it lasts.
                Some(Err(_)) if batch.through > after => {
                    self.ahead = None;
                    break;
                }
                Some(Err(error)) => {
                    self.ahead = None;
                    return Err(FeedError::Store(error));
                }
                None => {
                    self.ahead = None;
                    return Err(FeedError::Store(StoreError::Corrupt {
                        position: i64::try_from(after).unwrap_or(i64::MAX),
                        reason: "the log reader stopped".into(),
                    }));
                }
            };
            if !batch.events.is_empty() && batch.events.len() + stretch.events.len() > max {
                self.pending = Some(stretch);
                break;
            }
            batch.through = stretch.through;
            batch.events.extend(stretch.events);
        }
        if let Some((at, _)) = self.ahead.as_mut() {
            // The runner's next call starts after this batch once it is committed; a pending
            // stretch and the reader's later ones continue from exactly there.
            *at = batch.through;
        }
        Ok(batch)
    }

    async fn acknowledge(&mut self, _position: Position) -> Result<(), FeedError> {
        Ok(())
    }
}
