//! `subscribe_all` for every backend: page through `read_all` (catch-up), then wait for the
//! backend's commit signal or the poll interval and read again (live).

use super::error::StoreError;
use super::{EventStore, EventStream};
use async_trait::async_trait;
use events::{Position, RecordedEvent};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;

const PAGE: usize = 1000;

/// How a backend tells subscribers that something may have been committed.
#[async_trait]
pub(crate) trait CommitSignal: Send + 'static {
    /// Called once before the first read, so that no commit after that read goes unnoticed.
    async fn arm(&mut self);
    /// Returns when a commit may have happened. Spurious wake-ups are allowed; the caller also
    /// gives up waiting after the poll interval.
    async fn changed(&mut self);
}

struct Tail<S> {
    store: S,
    after: Position,
    buffer: VecDeque<RecordedEvent>,
    signal: Box<dyn CommitSignal>,
    armed: bool,
    poll: Duration,
}

pub(crate) fn tail<S: EventStore + Clone>(
    store: S,
    after: Position,
    signal: Box<dyn CommitSignal>,
    poll: Duration,
) -> EventStream {
    let state = Tail { store, after, buffer: VecDeque::new(), signal, armed: false, poll };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut tail = state?;
        match tail.next().await {
            Ok(event) => Some((Ok(event), Some(tail))),
            Err(error) => Some((Err(error), None)),
        }
    })
    .boxed()
}

impl<S: EventStore> Tail<S> {
    async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        if !self.armed {
            self.signal.arm().await;
            self.armed = true;
        }
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.after = event.position;
                return Ok(event);
            }
            let page = self.store.read_all(self.after, PAGE).await?;
            if page.is_empty() {
                let _ = tokio::time::timeout(self.poll, self.signal.changed()).await;
            } else {
                self.buffer.extend(page);
            }
        }
    }
}
