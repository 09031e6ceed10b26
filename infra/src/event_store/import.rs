//! Bulk import: events that already carry their ids, stream versions and times (a seed, or the
//! output of an export) appended at the head of the global log.
//!
//! This module holds the types and the pure decision; `import_postgres` and `import_sqlite` do the
//! IO. Rules (the contract suite checks each on every backend):
//!
//! 1. **Appended in the given order** at positions `head + 1, head + 2, ...`, gap-free, under the
//!    same ordering lock as appends, so commit order is position order. Event ids, stream
//!    versions, metadata and `recorded_at` (truncated to microseconds) are kept.
//! 2. **Idempotent by event id.** An event whose id is stored with identical content (stream,
//!    version, type, schema version, data, metadata, `recorded_at`) is skipped, so importing the
//!    same file twice appends nothing the second time. An id stored with other content is
//!    [`ImportError::ConflictingContent`].
//! 3. **Streams stay contiguous.** Each new event's `stream_version` must be one more than its
//!    stream's version so far (what is stored plus the batch's earlier events), or
//!    [`ImportError::NonContiguousVersion`]. An id twice in one batch is
//!    [`ImportError::DuplicateInBatch`]. A schema version above [`MAX_SCHEMA_VERSION`] is
//!    [`ImportError::SchemaVersionTooHigh`], as for an append.
//! 4. **All or nothing.** Any refusal writes nothing of the batch.
//! 5. **Subscribers wake** exactly as after an append.
//!
//! **Into an empty store** ([`crate::EventStore::import_into_empty`]), a backend may take a
//! whole import of many chunks in ONE transaction, building the log's indexes once at the end
//! instead of event by event. The rules above hold with the whole import as the batch: an id
//! twice anywhere in it is [`ImportError::DuplicateInImport`] (and an event repeated
//! identically in a later chunk, which chunk by chunk would skip, is refused too: its version
//! does not continue its stream), and any refusal writes nothing of it. The import ends at
//! [`ImportFeed::End`]; a source that stops before it is [`ImportError::SourceStopped`] and
//! writes nothing either. Readers and writers of the log wait for its commit.

use super::error::{StoreError, MAX_SCHEMA_VERSION};
use super::row::truncate_to_micros;
use chrono::{DateTime, Utc};
use events::{EventId, Metadata, Position, RecordedEvent, StreamId, StreamVersion};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// An event to import: a [`RecordedEvent`] without its position, which the store assigns.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    pub event_id: EventId,
    pub stream_id: StreamId,
    pub stream_version: StreamVersion,
    pub event_type: String,
    pub schema_version: u16,
    pub data: Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
}

impl From<RecordedEvent> for ImportedEvent {
    fn from(event: RecordedEvent) -> Self {
        Self {
            event_id: event.event_id,
            stream_id: event.stream_id,
            stream_version: event.stream_version,
            event_type: event.event_type,
            schema_version: event.schema_version,
            data: event.data,
            metadata: event.metadata,
            recorded_at: event.recorded_at,
        }
    }
}

impl ImportedEvent {
    /// Whether `stored` is this very event (rule 2): every field but the position is equal.
    pub fn is_stored_as(&self, stored: &RecordedEvent) -> bool {
        self.event_id == stored.event_id
            && self.stream_id == stored.stream_id
            && self.stream_version == stored.stream_version
            && self.event_type == stored.event_type
            && self.schema_version == stored.schema_version
            && truncate_to_micros(self.recorded_at) == stored.recorded_at
            && self.data == stored.data
            && self.metadata == stored.metadata
    }

    /// The stored form at `position` (with `recorded_at` at the store's precision).
    pub(crate) fn into_recorded(self, position: Position) -> RecordedEvent {
        RecordedEvent {
            event_id: self.event_id,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            position,
            event_type: self.event_type,
            schema_version: self.schema_version,
            data: self.data,
            metadata: self.metadata,
            recorded_at: truncate_to_micros(self.recorded_at),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportResult {
    /// Events appended to the log.
    pub imported: u64,
    /// Events already stored with identical content, so not appended again.
    pub skipped: u64,
    /// The head of the log after the import (the last imported event's position if any).
    pub head: Position,
}

/// Why an import was refused (nothing of the batch is written), or the store's own failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImportError {
    #[error("event {event_id} appears more than once in the batch")]
    DuplicateInBatch { event_id: EventId },
    #[error("event {event_id} has schema version {schema_version}; the most a store keeps is {max}", max = MAX_SCHEMA_VERSION)]
    SchemaVersionTooHigh { event_id: EventId, schema_version: u16 },
    #[error("event {event_id} is already stored with other content")]
    ConflictingContent { event_id: EventId },
    #[error("event {event_id}: version {version} of stream {stream} does not continue it (expected {expected})")]
    NonContiguousVersion { event_id: EventId, stream: StreamId, version: StreamVersion, expected: StreamVersion },
    #[error("an event id appears more than once in the import: {detail}")]
    DuplicateInImport { detail: String },
    #[error("the import's source stopped before its end; nothing of the import was written")]
    SourceStopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import's producer sends: chunks, then [`ImportFeed::End`] once it has sent them all.
/// A channel that closes without `End` means the producer stopped early (an error, a panic).
#[derive(Debug, Clone, PartialEq)]
pub enum ImportFeed {
    Chunk(Vec<ImportedEvent>),
    End,
}

/// Where an import into an empty store is ([`crate::EventStore::import_into_empty`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkStep {
    /// This many more events are written (not yet committed).
    Copied(u64),
    /// Every event is written; the log's indexes are being built, then the import commits.
    BuildingIndexes,
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// Every stream's version so far in an import into an empty store (rule 3 from version 0).
#[derive(Debug, Default)]
pub(crate) struct StreamVersions(HashMap<StreamId, StreamVersion>);

impl StreamVersions {
    /// Checks that each event of `chunk` continues its stream, in order, and records it; on a
    /// refusal the versions of the chunk's earlier events stay recorded (the import is over).
    pub(crate) fn continue_with(&mut self, chunk: &[ImportedEvent]) -> Result<(), ImportError> {
        for event in chunk {
            let expected = self.0.get(&event.stream_id).map_or(1, |v| v + 1);
            if event.stream_version != expected {
                return Err(ImportError::NonContiguousVersion {
                    event_id: event.event_id,
                    stream: event.stream_id.clone(),
                    version: event.stream_version,
                    expected,
                });
            }
            match self.0.get_mut(&event.stream_id) {
                Some(version) => *version = expected,
                None => {
                    self.0.insert(event.stream_id.clone(), expected);
                }
            }
        }
        Ok(())
    }
}

/// The decision for one batch: which events to append, in order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImportPlan {
    /// `fresh[i]`: whether the batch's i-th event is appended (false: already stored).
    pub fresh: Vec<bool>,
    pub skipped: u64,
}

impl ImportPlan {
    pub(crate) fn imported(&self) -> u64 {
        self.fresh.iter().filter(|&&f| f).count() as u64
    }

    /// The batch's fresh events, in order, at positions `head + 1, ...`.
    pub(crate) fn into_rows(self, batch: Vec<ImportedEvent>, head: Position) -> Vec<RecordedEvent> {
        let fresh = batch.into_iter().zip(self.fresh).filter_map(|(event, fresh)| fresh.then_some(event));
        fresh.zip(head + 1..).map(|(event, position)| event.into_recorded(position)).collect()
    }
}

/// The ids a batch carries, refusing one that appears twice or a schema version no store keeps.
/// Backends call this first.
pub(crate) fn batch_ids(batch: &[ImportedEvent]) -> Result<Vec<EventId>, ImportError> {
    let mut seen = HashSet::with_capacity(batch.len());
    for event in batch {
        if !seen.insert(event.event_id) {
            return Err(ImportError::DuplicateInBatch { event_id: event.event_id });
        }
        if event.schema_version > MAX_SCHEMA_VERSION {
            let (event_id, schema_version) = (event.event_id, event.schema_version);
            return Err(ImportError::SchemaVersionTooHigh { event_id, schema_version });
        }
    }
    Ok(batch.iter().map(|e| e.event_id).collect())
}

/// For each event, whether it is the first of its stream in the batch; `None` unless every
/// stream's versions go up by one in batch order. A batch with all events fresh and in that
/// order is accepted exactly when each stream's first event continues what is stored, which a
/// backend can check with one lookup per stream (the optimistic path of PostgreSQL's import).
pub(crate) fn first_of_streams(batch: &[ImportedEvent]) -> Option<Vec<bool>> {
    let mut last: HashMap<&StreamId, StreamVersion> = HashMap::with_capacity(batch.len());
    let mut firsts = Vec::with_capacity(batch.len());
    for event in batch {
        match last.insert(&event.stream_id, event.stream_version) {
            None => firsts.push(true),
            Some(previous) if previous + 1 == event.stream_version => firsts.push(false),
            Some(_) => return None,
        }
    }
    Some(firsts)
}

/// The distinct streams of the events not in `known`: whose stored versions the plan needs.
pub(crate) fn fresh_streams<'a>(
    batch: &'a [ImportedEvent],
    known: &HashMap<EventId, RecordedEvent>,
) -> Vec<&'a StreamId> {
    let mut seen = HashSet::new();
    batch
        .iter()
        .filter(|e| !known.contains_key(&e.event_id) && seen.insert(&e.stream_id))
        .map(|e| &e.stream_id)
        .collect()
}

/// Decides a batch given the stored events with its ids (`known`) and the stored versions of
/// its fresh events' streams (absent = 0). Pure: both backends call it under their write lock.
pub(crate) fn plan_import(
    batch: &[ImportedEvent],
    known: &HashMap<EventId, RecordedEvent>,
    stored_versions: &HashMap<StreamId, StreamVersion>,
) -> Result<ImportPlan, ImportError> {
    batch_ids(batch)?;
    let mut next: HashMap<&StreamId, StreamVersion> = HashMap::new();
    let mut plan = ImportPlan { fresh: Vec::with_capacity(batch.len()), skipped: 0 };
    for event in batch {
        if let Some(stored) = known.get(&event.event_id) {
            if !event.is_stored_as(stored) {
                return Err(ImportError::ConflictingContent { event_id: event.event_id });
            }
            plan.skipped += 1;
            plan.fresh.push(false);
            continue;
        }
        let expected = next
            .entry(&event.stream_id)
            .or_insert_with(|| stored_versions.get(&event.stream_id).copied().unwrap_or(0) + 1);
        if event.stream_version != *expected {
            return Err(ImportError::NonContiguousVersion {
                event_id: event.event_id,
                stream: event.stream_id.clone(),
                version: event.stream_version,
                expected: *expected,
            });
        }
        *expected += 1;
        plan.fresh.push(true);
    }
    Ok(plan)
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
