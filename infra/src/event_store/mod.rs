//! The event store port and its backends.
//!
//! # Rules every backend keeps (the contract tests in `infra/tests/contract` check each one)
//!
//! 1. **Append is atomic and checked per call.** `append(stream, expected, events)` writes all of
//!    `events` or none; `append_all` does the same across several streams. It fails with [`AppendError::WrongExpectedVersion`] (carrying the current
//!    version) when the stream is not at `expected`; a stale version is never an overwrite.
//! 2. **Idempotent by event id.** Appending events whose ids are already stored, to the same
//!    stream with the same type, schema version and data, returns the original result and writes
//!    nothing, whatever `expected` says. The same id with different content, or an append that
//!    mixes stored and new ids, is [`AppendError::IdempotencyConflict`].
//! 3. **One gap-free global order.** Every event gets a position 1, 2, 3, ... in commit order.
//!    A reader of `read_all` / `subscribe_all` never sees position `p + 1` before `p` has been
//!    committed, so reading "after my checkpoint" never skips an event, however many writers (and
//!    processes) append concurrently.
//! 4. **Durable when acknowledged.** `append` returns only after the commit is on disk
//!    (SQLite `synchronous=FULL`; PostgreSQL `synchronous_commit=on`).
//! 5. **Group commit.** Concurrent appends are gathered into one transaction (bounded by
//!    [`GroupCommitConfig`]); each append in the batch is checked on its own, so one conflict
//!    fails only that append.
//! 6. **Bulk import** ([`EventStore::import`]) appends events that already have ids, versions and
//!    times at the head of the log under the same ordering lock, idempotently by id (see [`import`]).
//! 7. **Versions** are 1-based: the first event of a stream has `stream_version` 1, and a stream
//!    that does not exist is at version 0.

mod config;
mod copy_binary;
mod error;
mod group_commit;
pub mod import;
mod import_bulk_postgres;
mod import_postgres;
mod import_sqlite;
mod plan;
pub mod postgres;
mod postgres_writer;
mod read_ahead;
mod row;
pub mod sqlite;
mod subscription;

/// The bounds of a category's stream ids in byte order: `[<category>-, <category>.)`.
pub(crate) fn category_range(category: &Category, after: Option<&StreamId>) -> (String, String) {
    let low = after.map_or_else(|| format!("{category}-"), |a| a.as_str().to_owned());
    (low, format!("{category}."))
}

pub use config::{GroupCommitConfig, StoreConfig};
pub use error::{AppendError, StoreError, MAX_SCHEMA_VERSION};
pub use import::{BulkStep, ImportError, ImportFeed, ImportResult, ImportedEvent};
pub use plan::{AppendRequest, AppendResult, AppendedEvent};

use async_trait::async_trait;
use events::{Category, EventId, ExpectedVersion, NewEvent, Position, RecordedEvent, StreamId, StreamVersion};
use futures_util::stream::BoxStream;

/// A stretch of the global log read by [`EventStore::read_stretch`]: the events it kept, and the
/// last position it covers (the next read starts after it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stretch {
    pub events: Vec<RecordedEvent>,
    pub through: Position,
}

/// Events from the global log in position order. After yielding an error the stream ends:
/// resubscribe from the last position you processed.
pub type EventStream = BoxStream<'static, Result<RecordedEvent, StoreError>>;

/// The source of truth: streams of events plus one global log over all of them.
/// See the module documentation for the rules every implementation keeps.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` if it is at `expected`. `events` must not be empty.
    async fn append(
        &self,
        stream: StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let mut results = self.append_all(vec![AppendRequest { stream, expected, events }]).await?;
        results.pop().ok_or(StoreError::Append(AppendError::Empty))
    }

    /// Appends to several streams in one transaction: every append is checked as `append` would
    /// check it, in order, and either all are written or none (the error is the first refusal).
    /// Returns one result per append, in the order given.
    async fn append_all(&self, appends: Vec<AppendRequest>) -> Result<Vec<AppendResult>, StoreError>;

    /// Appends `events`, which already carry ids, stream versions and `recorded_at`, in the given
    /// order at positions `head + 1, ...` in ONE transaction under the same ordering lock as
    /// appends, and wakes subscribers. Events stored with identical content are skipped (so a
    /// re-import appends nothing); an id stored with other content, an id twice in the batch, or
    /// a version that does not continue its stream refuses the whole batch. See [`import`].
    async fn import(&self, events: Vec<ImportedEvent>) -> Result<ImportResult, ImportError>;

    /// Imports every chunk `chunks` yields, until [`ImportFeed::End`], into an EMPTY store in
    /// ONE transaction, the log's indexes built once at the end ([`import`], "Into an empty
    /// store"); a channel closed before `End` writes nothing ([`ImportError::SourceStopped`]).
    /// Returns `Ok(None)` having received nothing when the store is not empty or the backend
    /// (or the role it connects as) imports chunk by chunk only: the caller then imports each
    /// chunk with [`Self::import`]. `progress` hears of each chunk written and of the final step.
    async fn import_into_empty(
        &self,
        chunks: &mut tokio::sync::mpsc::Receiver<ImportFeed>,
        progress: &(dyn Fn(BulkStep) + Send + Sync),
    ) -> Result<Option<ImportResult>, ImportError>;

    /// Up to `limit` events of `stream` with `stream_version >= from_version`, in version order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: StreamVersion,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events with `position > after`, in position order, never skipping one.
    async fn read_all(&self, after: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// A stretch of the log of at most `window` positions after `after`, ending at the head at
    /// the latest, with only its events whose type is in `types` (the backend filters them out
    /// unread, so a reader that handles a few types skips the rest cheaply). Every event of
    /// those types in (`after`, `through`] is in it, in position order; `through == after` when
    /// nothing is stored after `after`.
    async fn read_stretch(&self, after: Position, window: u64, types: &[String]) -> Result<Stretch, StoreError> {
        // Every position up to the head is committed, so reading up to it never skips an event.
        let through = self.head().await?.min(after.saturating_add(window.max(1))).max(after);
        if through == after {
            return Ok(Stretch { events: Vec::new(), through });
        }
        let events = self.read_types_between(after, through, types).await?;
        Ok(Stretch { events, through })
    }

    /// Every stored event with `after < position <= through` whose type is in `types`, in
    /// position order. Callers pass a `through` no later than the head ([`Self::read_stretch`]).
    async fn read_types_between(
        &self,
        after: Position,
        through: Position,
        types: &[String],
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Every event with `position > after`: first those already stored (catch-up), then each new
    /// commit as it happens (live), woken by the backend's commit signal and polling as a fallback.
    fn subscribe_all(&self, after: Position) -> EventStream;

    /// As [`Self::subscribe_all`], with only the events whose type is in `types`, read in
    /// stretches ([`Self::read_stretch`]) so that the backend leaves the others unread: a reader
    /// of a few rare types is not made to decode tens of thousands of views a second.
    fn subscribe_types(&self, after: Position, types: Vec<String>) -> EventStream;

    /// The stored event with this id, if any (idempotent request replays find their events so).
    async fn event_by_id(&self, event_id: EventId) -> Result<Option<RecordedEvent>, StoreError>;

    /// Up to `limit` ids of the streams in `category`, in byte order, after `after` if given.
    async fn list_streams(
        &self,
        category: &Category,
        after: Option<&StreamId>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError>;

    /// The position of the last committed event (0 when the log is empty).
    async fn head(&self) -> Result<Position, StoreError>;

    /// The current version of `stream` (0 when it does not exist).
    async fn stream_version(&self, stream: &StreamId) -> Result<StreamVersion, StoreError>;
}
