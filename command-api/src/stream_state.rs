//! Rebuilding state from a stream: read it page by page and fold each event in.

use events::{DecodeError, DomainEvent, RecordedEvent, StreamId};
use infra::{EventStore, StoreError};

const PAGE: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event is unreadable")]
    Decode(#[source] DecodeError),
}

/// A stream's state, its version, and the position of its last event (0 and 0 when empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Folded<S> {
    pub state: S,
    pub version: u64,
    pub position: u64,
}

/// Folds every event of `stream` into `S::default()` with `evolve(state, event, envelope)`.
pub async fn fold<S: Default>(
    store: &dyn EventStore,
    stream: &StreamId,
    mut evolve: impl FnMut(S, &DomainEvent, &RecordedEvent) -> S,
) -> Result<Folded<S>, LoadError> {
    let mut folded = Folded { state: S::default(), version: 0, position: 0 };
    loop {
        let page = store.read_stream(stream, folded.version + 1, PAGE).await?;
        for recorded in &page {
            let event = DomainEvent::from_recorded(recorded).map_err(LoadError::Decode)?;
            folded.state = evolve(folded.state, &event, recorded);
            folded.version = recorded.stream_version;
            folded.position = recorded.position;
        }
        if page.len() < PAGE {
            return Ok(folded);
        }
    }
}
