//! The pure middle of a group commit: given what the store holds now, decide for each append in a
//! batch whether it is accepted (and at which versions and positions), a retry of something
//! already stored, or refused. Both backends read the inputs, call [`plan_batch`], and write
//! `to_insert` in one transaction.

use super::error::{AppendError, MAX_SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use events::{EventId, ExpectedVersion, NewEvent, Position, RecordedEvent, StreamId, StreamVersion};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One `append` call waiting in a batch.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub stream: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// Where one appended event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendedEvent {
    pub event_id: EventId,
    pub stream_version: StreamVersion,
    pub position: Position,
}

/// The outcome of a successful append (or of a retry of one: then the original outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendResult {
    pub stream: StreamId,
    /// One entry per event, in the order given.
    pub events: Vec<AppendedEvent>,
}

impl AppendResult {
    /// The stream's version right after this append.
    pub fn stream_version(&self) -> StreamVersion {
        self.events.last().map_or(0, |e| e.stream_version)
    }

    /// The global position of the append's last event: what a reader waits for.
    pub fn position(&self) -> Position {
        self.events.last().map_or(0, |e| e.position)
    }
}

/// What the store holds that the batch touches, read inside the batch's transaction.
#[derive(Debug, Default)]
pub struct StoreSnapshot {
    /// The last committed position.
    pub head: Position,
    /// Current version of every stream the batch appends to (absent = 0).
    pub stream_versions: HashMap<StreamId, StreamVersion>,
    /// Stored events whose ids appear in the batch. Shared with `to_insert` and
    /// [`Committed::written`]: an event is planned, checked against and caught up with without
    /// copying its payload.
    pub known_events: HashMap<EventId, Arc<RecordedEvent>>,
}

/// What one committed batch did to the store: enough to bring a snapshot that was read while it
/// committed up to the state right after it.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// The head the batch was planned on (and moved from, if it wrote anything).
    pub planned_on: Position,
    /// The head after the batch (`planned_on` when it wrote nothing).
    pub new_head: Position,
    /// The events it wrote.
    pub written: Vec<Arc<RecordedEvent>>,
}

impl StoreSnapshot {
    /// This snapshot as of right after `committed`, if it was read at a state the batch's
    /// outcome fully determines: just before the batch (its head is `planned_on`: nothing else
    /// was appended since the batch was planned, since every append moves the head) or just after
    /// it (`new_head`). Any other head means someone else appended meanwhile: `None`, read again.
    pub fn caught_up_with(mut self, committed: &Committed) -> Option<Self> {
        if self.head != committed.planned_on && self.head != committed.new_head {
            return None;
        }
        self.head = committed.new_head;
        for event in &committed.written {
            // Read before the commit, the snapshot lacks these; read after it, it has the same.
            let version = self.stream_versions.entry(event.stream_id.clone()).or_insert(0);
            *version = (*version).max(event.stream_version);
            self.known_events.insert(event.event_id, Arc::clone(event));
        }
        Some(self)
    }

    /// Adds what `other`, read at the same head, knows of other streams and ids.
    pub fn merge(&mut self, other: StoreSnapshot) {
        debug_assert_eq!(self.head, other.head, "only snapshots of one state merge");
        self.stream_versions.extend(other.stream_versions);
        self.known_events.extend(other.known_events);
    }
}

/// One `append_all` call: appends to several streams that succeed or fail together.
pub type AtomicGroup = Vec<AppendRequest>;

/// The outcome of one group: a result per append, or the first refusal (then none is written).
pub type GroupOutcome = Result<Vec<AppendResult>, AppendError>;

/// What to write, and what to answer each group.
#[derive(Debug)]
pub struct BatchPlan {
    pub to_insert: Vec<Arc<RecordedEvent>>,
    pub new_head: Position,
    pub outcomes: Vec<GroupOutcome>,
}

/// Stream ids and event ids a batch needs looked up before planning.
pub fn lookups<'a>(batch: impl IntoIterator<Item = &'a AtomicGroup> + Clone) -> (Vec<StreamId>, Vec<EventId>) {
    let requests = || batch.clone().into_iter().flatten();
    let streams: HashSet<&StreamId> = requests().map(|r| &r.stream).collect();
    let ids = requests().flat_map(|r| r.events.iter().map(|e| e.event_id)).collect();
    (streams.into_iter().cloned().collect(), ids)
}

/// Decides every group of `batch` in order, as if they ran one after another. A group whose
/// append is refused leaves no trace in the plan. `recorded_at` should already be truncated to
/// microseconds (what both backends store).
pub fn plan_batch(batch: &[AtomicGroup], mut snapshot: StoreSnapshot, recorded_at: DateTime<Utc>) -> BatchPlan {
    let mut to_insert = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for group in batch {
        outcomes.push(decide_group(group, &mut snapshot, recorded_at, &mut to_insert));
    }
    BatchPlan { to_insert, new_head: snapshot.head, outcomes }
}

fn decide_group(
    group: &AtomicGroup,
    snapshot: &mut StoreSnapshot,
    recorded_at: DateTime<Utc>,
    to_insert: &mut Vec<Arc<RecordedEvent>>,
) -> GroupOutcome {
    if group.is_empty() {
        return Err(AppendError::Empty);
    }
    let undo = Undo {
        head: snapshot.head,
        inserted: to_insert.len(),
        versions: group.iter().map(|r| (r.stream.clone(), snapshot.stream_versions.get(&r.stream).copied())).collect(),
    };
    let mut results = Vec::with_capacity(group.len());
    for request in group {
        match decide(request, snapshot, recorded_at, to_insert) {
            Ok(result) => results.push(result),
            Err(error) => {
                undo.apply(snapshot, to_insert);
                return Err(error);
            }
        }
    }
    Ok(results)
}

/// What a group changed in the planning state, to take back when one of its appends is refused.
struct Undo {
    head: Position,
    inserted: usize,
    versions: Vec<(StreamId, Option<StreamVersion>)>,
}

impl Undo {
    fn apply(self, snapshot: &mut StoreSnapshot, to_insert: &mut Vec<Arc<RecordedEvent>>) {
        for event in to_insert.drain(self.inserted..) {
            snapshot.known_events.remove(&event.event_id);
        }
        snapshot.head = self.head;
        // In reverse, so a stream appended twice in the group gets its first value back.
        for (stream, version) in self.versions.into_iter().rev() {
            match version {
                Some(version) => snapshot.stream_versions.insert(stream, version),
                None => snapshot.stream_versions.remove(&stream),
            };
        }
    }
}

fn decide(
    request: &AppendRequest,
    snapshot: &mut StoreSnapshot,
    recorded_at: DateTime<Utc>,
    to_insert: &mut Vec<Arc<RecordedEvent>>,
) -> Result<AppendResult, AppendError> {
    if request.events.is_empty() {
        return Err(AppendError::Empty);
    }
    if let Some(event) = request.events.iter().find(|event| event.schema_version > MAX_SCHEMA_VERSION) {
        return Err(AppendError::SchemaVersionTooHigh {
            event_id: event.event_id,
            schema_version: event.schema_version,
        });
    }
    if let Some(original) = earlier_outcome(request, &snapshot.known_events)? {
        return Ok(original);
    }
    let current = snapshot.stream_versions.get(&request.stream).copied().unwrap_or(0);
    if !request.expected.admits(current) {
        return Err(AppendError::WrongExpectedVersion {
            stream: request.stream.clone(),
            expected: request.expected,
            actual: current,
        });
    }
    let mut appended = Vec::with_capacity(request.events.len());
    for (offset, event) in (1u64..).zip(&request.events) {
        let recorded = Arc::new(RecordedEvent {
            event_id: event.event_id,
            stream_id: request.stream.clone(),
            stream_version: current + offset,
            position: snapshot.head + offset,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            data: event.data.clone(),
            metadata: event.metadata.clone(),
            recorded_at,
        });
        appended.push(AppendedEvent {
            event_id: recorded.event_id,
            stream_version: recorded.stream_version,
            position: recorded.position,
        });
        snapshot.known_events.insert(recorded.event_id, Arc::clone(&recorded));
        to_insert.push(recorded);
    }
    let count = request.events.len() as u64;
    snapshot.head += count;
    snapshot.stream_versions.insert(request.stream.clone(), current + count);
    Ok(AppendResult { stream: request.stream.clone(), events: appended })
}

/// `Some(original result)` if every event of `request` is already stored exactly as given (a
/// retry); `None` if none is; an error for a partial or altered retry, or repeated ids.
fn earlier_outcome(
    request: &AppendRequest,
    known: &HashMap<EventId, Arc<RecordedEvent>>,
) -> Result<Option<AppendResult>, AppendError> {
    let mut seen = HashSet::with_capacity(request.events.len());
    for event in &request.events {
        if !seen.insert(event.event_id) {
            return Err(AppendError::IdempotencyConflict {
                event_id: event.event_id,
                reason: "the same event id appears twice in one append",
            });
        }
    }
    let stored: Vec<Option<&RecordedEvent>> =
        request.events.iter().map(|e| known.get(&e.event_id).map(|e| &**e)).collect();
    if stored.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut events = Vec::with_capacity(stored.len());
    for (new, original) in request.events.iter().zip(stored) {
        let Some(original) = original else {
            return Err(AppendError::IdempotencyConflict {
                event_id: new.event_id,
                reason: "part of this append is already stored under other events",
            });
        };
        if !original.is_same_as(&request.stream, new) {
            return Err(AppendError::IdempotencyConflict {
                event_id: new.event_id,
                reason: "an event with this id is stored with a different stream, type or data",
            });
        }
        events.push(AppendedEvent {
            event_id: original.event_id,
            stream_version: original.stream_version,
            position: original.position,
        });
    }
    let contiguous = events.windows(2).all(|w| w[1].stream_version == w[0].stream_version + 1);
    if !contiguous {
        return Err(AppendError::IdempotencyConflict {
            event_id: request.events[0].event_id,
            reason: "these events were stored by different appends",
        });
    }
    Ok(Some(AppendResult { stream: request.stream.clone(), events }))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
