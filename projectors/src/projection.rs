//! The `Projection` port: how an event batch becomes read-model rows.

use crate::error::ApplyError;
use crate::read_store::ReadTx;
use crate::replay::Subject;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::{DomainEvent, EventId, Position, RecordedEvent, StreamVersion};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// An event a projection handles, decoded (and upcast) from its stored form.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub position: Position,
    pub event_id: EventId,
    pub stream_version: StreamVersion,
    pub recorded_at: DateTime<Utc>,
    pub event: DomainEvent,
}

impl Decoded {
    /// Decodes (and upcasts) a stored event, consuming it: its JSON is moved, not copied.
    pub fn decode(recorded: RecordedEvent) -> Result<Self, events::DecodeError> {
        Ok(Self {
            position: recorded.position,
            event_id: recorded.event_id,
            stream_version: recorded.stream_version,
            recorded_at: recorded.recorded_at,
            event: DomainEvent::from_stored(&recorded.event_type, recorded.schema_version, recorded.data)?,
        })
    }
}

/// What a committed batch changed, for the change notice the query API's cache listens to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Content types whose lists may have changed (an item of the type was written).
    pub types: BTreeSet<String>,
    /// Items whose document (or comments) changed; for the `keys` projection, the API keys.
    pub items: BTreeSet<Uuid>,
    /// Items whose counters changed (views, likes, shares, bookmarks, comments).
    pub counters: BTreeSet<Uuid>,
    /// Users whose history or state changed.
    pub users: BTreeSet<String>,
}

impl Applied {
    pub fn merge(&mut self, other: Applied) {
        self.types.extend(other.types);
        self.items.extend(other.items);
        self.counters.extend(other.counters);
        self.users.extend(other.users);
    }
}

/// A read model built from the event log.
///
/// Rules for implementors:
/// - `apply` does all of its writes through `tx`, and nothing else: the runner commits them
///   together with the checkpoint, or rolls everything back.
/// - Applying the same events to the rows they produced is never asked for (the runner skips
///   events at or below the checkpoint), but a batch may be retried after a rollback, so `apply`
///   must not keep state outside the transaction that a rollback would leave behind.
/// - Events arrive in global position order; a batch may hold events of many streams interleaved.
/// - `handles` is a pure function of the event type: events it refuses are never decoded or
///   passed in (the checkpoint still moves past them).
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// A stable name: the checkpoint's key and the operator's handle.
    fn name(&self) -> &'static str;

    /// Every table this projection writes and nothing else does (a rebuild swaps exactly these).
    /// A name may be absent on one backend (`content_search` is SQLite's FTS5 table; PostgreSQL
    /// keeps the search vector in `content_items`).
    fn tables(&self) -> &'static [&'static str];

    fn handles(&self, event_type: &str) -> bool;

    /// Indexes that only the query API reads through, never `apply` or `forget`. A rebuild
    /// builds its next version without them and creates each in one bulk build once it has
    /// caught up, which costs a fraction of maintaining it row by row (PostgreSQL's GIN index
    /// over the search vectors most of all). A name that one backend lacks is skipped there.
    fn deferred_indexes(&self) -> &'static [&'static str] {
        &[]
    }

    /// The variant a rebuild applies the log with until its next version has caught up, when
    /// one exists: it leaves out work that [`Projection::complete_bulk_build`] then does in one
    /// statement over the rows built (engagement: views are counted from `user_items` at the
    /// end instead of one counter upsert per view). Rule: applying any prefix of the log with
    /// the variant to empty tables, then `complete_bulk_build` once, then the rest of the log
    /// with `self`, gives exactly the rows that applying the whole log with `self` gives.
    fn bulk_build(&self) -> Option<Arc<dyn Projection>> {
        None
    }

    /// Does, inside `tx`, the work that [`Projection::bulk_build`]'s variant left out of every
    /// batch applied so far. Called once per rebuild, when the variant has caught up.
    async fn complete_bulk_build(&self, _tx: &mut ReadTx) -> Result<(), ApplyError> {
        Ok(())
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError>;

    /// What `event` (one this projection handles) is about, for a replay ([`crate::replay`]).
    /// Rule: every row `apply` writes for the event is owned by one of these subjects, except
    /// rows of other subjects that only copy what these own (a document embedding an item is
    /// re-rendered when the item changes, so re-applying the item refreshes it too).
    fn subjects(&self, event: &DomainEvent) -> Vec<Subject>;

    /// Deletes, inside `tx`, every row owned by `subjects`. Rule: applying afterwards every
    /// event about those subjects, in log order, recreates exactly the rows a clean rebuild has.
    async fn forget(&self, tx: &mut ReadTx, subjects: &BTreeSet<Subject>) -> Result<(), ApplyError>;
}
