//! Replay of a range of the log into one projection (`folio replay`).
//!
//! A projection's rows are not a function of a range of events: counters add up every event
//! ever applied, documents fold a whole stream. So a replay does not apply the range on top of
//! what is there (that would count twice); it recomputes the rows the range is about:
//! 1. in one read-model transaction that holds the projection's checkpoint row (the live runner
//!    waits, readers keep reading the previous rows), the events of `[from, to]` (`to` at most
//!    the checkpoint) that the projection handles name their [`Subject`]s;
//! 2. the projection forgets every row those subjects own ([`Projection::forget`]);
//! 3. every event up to the checkpoint about one of those subjects is applied again, in log
//!    order, with the projection's own `apply` (events the projection parked stay parked);
//! 4. one commit; the checkpoint does not move.
//!
//! So the replayed rows end equal to a clean rebuild's — the current code over the whole
//! history — whatever they held before (a bug since fixed, a row damaged by hand), rows the range
//! is not about are untouched, and a second replay of the same range changes nothing.

mod forget;

pub use forget::{delete_by_text, delete_by_uuid};

use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadStore;
use crate::{ApplyError, RunnerError};
use events::{Position, RecordedEvent};
use infra::EventStore;
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// What a row of a read model is about: replays forget and recompute rows by subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// A content item (its document, relations, values, search text; its counters and per
    /// user state).
    Item(Uuid),
    /// A content type's definition.
    Type(String),
    Comment(Uuid),
    ApiKey(Uuid),
}

/// Subjects of one kind, for a projection's `forget`.
pub fn uuids(subjects: &BTreeSet<Subject>, pick: fn(&Subject) -> Option<Uuid>) -> Vec<Uuid> {
    subjects.iter().filter_map(pick).collect()
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    pub from: Position,
    /// The end of the range: the requested one, or the checkpoint if that is lower.
    pub to: Position,
    /// The projection's checkpoint (unchanged by the replay).
    pub checkpoint: Position,
    /// Events of the range that the projection handles.
    pub in_range: u64,
    /// Distinct subjects they are about, whose rows were recomputed.
    pub subjects: usize,
    /// Events applied again: the whole history of those subjects.
    pub reapplied: u64,
    /// What changed, for the change notice.
    pub applied: Applied,
}

/// Replays `[from, to]` (to the checkpoint when `to` is None) into `projection` on `read` (see
/// the module rules). `batch` events are read and applied at a time; `progress(position,
/// checkpoint)` is called as the history is scanned.
pub async fn replay(
    store: &dyn EventStore,
    read: &ReadStore,
    projection: &dyn Projection,
    from: Position,
    to: Option<Position>,
    batch: usize,
    mut progress: impl FnMut(Position, Position),
) -> Result<Replayed, RunnerError> {
    let batch = batch.max(1);
    let name = projection.name();
    let mut tx = read.begin().await?;
    let checkpoint = tx.lock_checkpoint(name).await?;
    let to = to.unwrap_or(checkpoint).min(checkpoint);
    let mut report = Replayed { from, to, checkpoint, ..Replayed::default() };
    if from > to {
        return Ok(report);
    }
    let parked: HashSet<Position> = read.parked(name).await?.into_iter().map(|p| p.position).collect();

    let mut subjects = BTreeSet::new();
    scan(store, projection, from.saturating_sub(1), to, batch, &parked, |decoded| {
        report.in_range += 1;
        subjects.extend(projection.subjects(&decoded.event));
    })
    .await?;
    report.subjects = subjects.len();
    if subjects.is_empty() {
        tx.commit().await?;
        return Ok(report);
    }
    projection.forget(&mut tx, &subjects).await.map_err(rejected)?;

    let mut pending: Vec<Decoded> = Vec::new();
    scan(store, projection, 0, checkpoint, batch, &parked, |decoded| {
        if projection.subjects(&decoded.event).iter().any(|s| subjects.contains(s)) {
            pending.push(decoded);
        }
    })
    .await?;
    // Applied in chunks so a subject with a long history is not one giant statement.
    for chunk in pending.chunks(batch) {
        let applied = projection.apply(&mut tx, chunk).await.map_err(rejected)?;
        report.reapplied += chunk.len() as u64;
        report.applied.merge(applied);
        progress(chunk.last().map_or(checkpoint, |d| d.position), checkpoint);
    }
    tx.commit().await?;
    progress(checkpoint, checkpoint);
    Ok(report)
}

/// Calls `each` with every event in `(after, through]` that `projection` handles and did not
/// park, decoded, in log order.
async fn scan(
    store: &dyn EventStore,
    projection: &dyn Projection,
    after: Position,
    through: Position,
    batch: usize,
    parked: &HashSet<Position>,
    mut each: impl FnMut(Decoded),
) -> Result<(), RunnerError> {
    let mut at = after;
    while at < through {
        let page: Vec<RecordedEvent> =
            store.read_all(at, batch).await.map_err(|e| RunnerError::Feed(crate::feed::FeedError::from(e)))?;
        let Some(last) = page.last().map(|e| e.position) else { break };
        for recorded in page {
            if recorded.position > through {
                return Ok(());
            }
            if !projection.handles(&recorded.event_type) || parked.contains(&recorded.position) {
                continue;
            }
            let position = recorded.position;
            let decoded = Decoded::decode(recorded)
                .map_err(|e| RunnerError::Replay(format!("the event at {position} does not decode: {e}")))?;
            each(decoded);
        }
        at = last;
    }
    Ok(())
}

fn rejected(error: ApplyError) -> RunnerError {
    match error {
        ApplyError::Unavailable(error) => RunnerError::ReadStore(error),
        other @ (ApplyError::Rejected(_) | ApplyError::CheckpointMoved(_)) => RunnerError::Replay(other.to_string()),
    }
}
