//! One read of the event log for several projections in one process.
//!
//! A reader task tails the store once and, for each page, gives every projection the events it
//! handles (moved, not copied, when only one wants an event), with the page's last position as
//! `through`. A projection whose checkpoint is behind what the reader already handed out (after
//! `folio projections reset`, say) falls back to a private [`StoreFeed`].

use super::{Batch, Feed, FeedError, StoreFeed};
use crate::projection::Projection;
use async_trait::async_trait;
use events::{Position, RecordedEvent};
use infra::EventStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Pages in flight per projection before the reader waits for the slowest.
const QUEUE: usize = 8;

#[derive(Debug)]
pub struct SharedLog;

impl SharedLog {
    /// Starts the reader after `after` (the lowest checkpoint of `projections`) and returns one
    /// feed per projection, in order. The reader stops when every feed is dropped.
    pub fn start(
        store: Arc<dyn EventStore>,
        projections: &[Arc<dyn Projection>],
        after: Position,
        page: usize,
        linger: Duration,
    ) -> Vec<SharedFeed> {
        let mut senders = Vec::with_capacity(projections.len());
        let mut feeds = Vec::with_capacity(projections.len());
        for _ in projections {
            let (sender, receiver) = mpsc::channel(QUEUE);
            senders.push(Some(sender));
            feeds.push(SharedFeed {
                pages: receiver,
                handed_out: after,
                pending: None,
                fallback: None,
                store: store.clone(),
            });
        }
        let wants: Vec<Arc<dyn Projection>> = projections.to_vec();
        tokio::spawn(read(StoreFeed::new(store), after, page, linger, wants, senders));
        feeds
    }
}

async fn read(
    mut log: StoreFeed,
    mut after: Position,
    page: usize,
    linger: Duration,
    wants: Vec<Arc<dyn Projection>>,
    mut senders: Vec<Option<mpsc::Sender<Batch>>>,
) {
    while senders.iter().any(Option::is_some) {
        let events = match log.next_events(after, page, linger).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(%error, "shared log read failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Some(through) = events.last().map(|e| e.position) else { continue };
        after = through;
        let mut batches: Vec<Vec<RecordedEvent>> = wants.iter().map(|_| Vec::new()).collect();
        for event in events {
            let takers: Vec<usize> =
                (0..wants.len()).filter(|&i| senders[i].is_some() && wants[i].handles(&event.event_type)).collect();
            if let Some((&last, others)) = takers.split_last() {
                for &i in others {
                    batches[i].push(event.clone());
                }
                batches[last].push(event);
            }
        }
        for (slot, events) in senders.iter_mut().zip(batches) {
            if let Some(sender) = slot {
                if sender.send(Batch { events, through }).await.is_err() {
                    *slot = None;
                }
            }
        }
    }
}

/// One projection's view of a [`SharedLog`].
pub struct SharedFeed {
    pages: mpsc::Receiver<Batch>,
    /// Everything up to here came through `pages`.
    handed_out: Position,
    /// A page received but not yet handed out (it would have overfilled a batch).
    pending: Option<Batch>,
    fallback: Option<StoreFeed>,
    store: Arc<dyn EventStore>,
}

impl std::fmt::Debug for SharedFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFeed").field("handed_out", &self.handed_out).finish_non_exhaustive()
    }
}

impl SharedFeed {
    async fn next_page(&mut self) -> Option<Batch> {
        match self.pending.take() {
            Some(page) => Some(page),
            None => self.pages.recv().await,
        }
    }
}

#[async_trait]
impl Feed for SharedFeed {
    async fn next_batch(&mut self, after: Position, max: usize, linger: Duration) -> Result<Batch, FeedError> {
        if after < self.handed_out && self.fallback.is_none() {
            tracing::info!(after, handed_out = self.handed_out, "checkpoint behind the shared log; reading privately");
            self.fallback = Some(StoreFeed::new(self.store.clone()));
            // The reader must not wait for a feed that no longer reads its pages.
            self.pages.close();
        }
        if let Some(fallback) = self.fallback.as_mut() {
            return fallback.next_batch(after, max, linger).await;
        }
        // Pages until the batch holds `max` events or nothing more is ready.
        let mut batch = Batch { events: Vec::new(), through: after };
        loop {
            let page = if batch.through > after {
                match self.pages.try_recv() {
                    Ok(page) => page,
                    Err(_) => break,
                }
            } else {
                match self.next_page().await {
                    Some(page) => page,
                    None => break,
                }
            };
            self.handed_out = page.through;
            if page.through <= after {
                continue;
            }
            if !batch.events.is_empty() && batch.events.len() + page.events.len() > max {
                self.pending = Some(page);
                self.handed_out = batch.through;
                break;
            }
            batch.through = page.through;
            batch.events.extend(page.events.into_iter().filter(|e| e.position > after));
        }
        Ok(batch)
    }

    async fn acknowledge(&mut self, _position: Position) -> Result<(), FeedError> {
        Ok(())
    }
}
