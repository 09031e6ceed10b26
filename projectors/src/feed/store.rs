//! The event store's own subscription as a feed.

use super::{Batch, Feed, FeedError};
use async_trait::async_trait;
use events::{Position, RecordedEvent};
use futures_util::StreamExt;
use infra::{EventStore, EventStream};
use std::sync::Arc;
use std::time::Duration;

/// Tails `subscribe_all`: catch-up at the store's page size, then live.
pub struct StoreFeed {
    store: Arc<dyn EventStore>,
    /// The open subscription and the last position it delivered.
    live: Option<(Position, EventStream)>,
}

impl std::fmt::Debug for StoreFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreFeed").field("at", &self.live.as_ref().map(|(p, _)| *p)).finish_non_exhaustive()
    }
}

impl StoreFeed {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, live: None }
    }

    fn stream_after(&mut self, after: Position) -> &mut EventStream {
        if self.live.as_ref().is_none_or(|(at, _)| *at != after) {
            self.live = Some((after, prefetched(self.store.subscribe_all(after))));
        }
        let (_, stream) = self.live.get_or_insert_with(|| (after, futures_util::stream::empty().boxed()));
        stream
    }
}

/// Events read ahead of the runner, so reading and decoding the next page overlaps applying
/// this one (the catch-up pipeline).
const READ_AHEAD: usize = 8192;

/// The reading task ends as soon as the returned stream is dropped, even while the source waits
/// for new events: a live subscription holds a pooled connection (PostgreSQL's LISTEN), and a
/// task that only noticed the drop at its next send would keep it until the next commit.
fn prefetched(mut source: EventStream) -> EventStream {
    let (sender, receiver) = tokio::sync::mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        loop {
            let item = tokio::select! {
                () = sender.closed() => return,
                item = source.next() => item,
            };
            let Some(item) = item else { return };
            let failed = item.is_err();
            if sender.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    )
    .boxed()
}

#[async_trait]
impl Feed for StoreFeed {
    async fn next_batch(&mut self, after: Position, max: usize, linger: Duration) -> Result<Batch, FeedError> {
        Ok(Batch::contiguous(self.next_events(after, max, linger).await?, after))
    }

    async fn acknowledge(&mut self, _position: Position) -> Result<(), FeedError> {
        Ok(())
    }
}

impl StoreFeed {
    /// Up to `max` events after `after`, in order, no gap.
    pub async fn next_events(
        &mut self,
        after: Position,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<RecordedEvent>, FeedError> {
        let stream = self.stream_after(after);
        let mut batch = Vec::with_capacity(max.min(4096));
        let mut failure = None;
        match stream.next().await {
            Some(Ok(event)) => batch.push(event),
            Some(Err(error)) => failure = Some(error),
            None => {}
        }
        let deadline = tokio::time::Instant::now() + linger;
        while failure.is_none() && !batch.is_empty() && batch.len() < max {
            // A timed-out `next` loses nothing: the subscription keeps its pending read.
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(event))) => batch.push(event),
                Ok(Some(Err(error))) => failure = Some(error),
                Ok(None) | Err(_) => break,
            }
        }
        if let Some(error) = failure {
            // The subscription ended; the next call reopens it after the last delivered event.
            self.live = None;
            if batch.is_empty() {
                return Err(FeedError::Store(error));
            }
            tracing::warn!(%error, "event store subscription failed after a partial batch; reopening");
        } else if let (Some((at, _)), Some(last)) = (self.live.as_mut(), batch.last()) {
            *at = last.position;
        }
        Ok(batch)
    }
}
