//! `subscribe_all` and `subscribe_types` for every backend: page through the log (catch-up), then
//! wait for the backend's commit signal or the poll interval and read again (live).
//! `subscribe_all` pages with `read_all`; `subscribe_types` reads stretches with `read_stretch`,
//! so the backend leaves the other types unread.

use super::error::StoreError;
use super::{EventStore, EventStream};
use async_trait::async_trait;
use events::{Position, RecordedEvent};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;

const PAGE: usize = 1000;
/// Positions per stretch of a typed tail: bounds one read however few events match.
const STRETCH: u64 = 10_000;

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
    /// The last position read: every event up to it is in the buffer or was handed out.
    after: Position,
    /// Only these event types (`read_stretch`), or every event (`read_all`).
    types: Option<Vec<String>>,
    buffer: VecDeque<RecordedEvent>,
    signal: Box<dyn CommitSignal>,
    armed: bool,
    poll: Duration,
}

pub(crate) fn tail<S: EventStore + Clone>(
    store: S,
    after: Position,
    types: Option<Vec<String>>,
    signal: Box<dyn CommitSignal>,
    poll: Duration,
) -> EventStream {
    let state = Tail { store, after, types, buffer: VecDeque::new(), signal, armed: false, poll };
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
                return Ok(event);
            }
            let read_up_to = match &self.types {
                None => {
                    let page = self.store.read_all(self.after, PAGE).await?;
                    let last = page.last().map_or(self.after, |e| e.position);
                    self.buffer.extend(page);
                    last
                }
                Some(types) => {
                    let stretch = self.store.read_stretch(self.after, STRETCH, types).await?;
                    self.buffer.extend(stretch.events);
                    stretch.through
                }
            };
            if read_up_to == self.after {
                let _ = tokio::time::timeout(self.poll, self.signal.changed()).await;
            }
            self.after = read_up_to;
        }
    }
}
