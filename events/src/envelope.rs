//! The envelope every stored event travels in, and what an append carries.

use crate::stream::StreamId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use uuid::Uuid;

/// An event's identity: a UUIDv7, so ids sort roughly by creation time and index well.
/// Appends are idempotent by this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl EventId {
    /// A fresh UUIDv7 from the system clock. Decisions take ids as input; only the edge calls this.
    pub fn now_v7() -> Self {
        Self(Uuid::now_v7())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The number of events in a stream; an event's `stream_version` is its 1-based index.
/// A stream that does not exist has version 0.
pub type StreamVersion = u64;

/// An event's place in the global log: 1, 2, 3, ... with no gaps; 0 means "before the first".
pub type Position = u64;

/// What the appender believes the stream's version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "version")]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet (version 0).
    NoStream,
    /// The stream must be at exactly this version.
    Exact(StreamVersion),
}

impl ExpectedVersion {
    /// Whether a stream currently at `current` satisfies this expectation.
    pub fn admits(self, current: StreamVersion) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => current == 0,
            Self::Exact(v) => current == v,
        }
    }
}

/// Who and what caused an event. Every field is optional so that tools and imports can append
/// events without a request; the command API fills all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The API key id (or tool name) that issued the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The HTTP request id (`X-Request-Id`) that carried the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The id shared by every event of one business conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// The id of the event or command that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
}

/// An event about to be appended: everything but its place in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: EventId,
    pub event_type: String,
    pub schema_version: u16,
    pub data: Value,
    pub metadata: Metadata,
}

/// An event as the store holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub event_id: EventId,
    pub stream_id: StreamId,
    pub stream_version: StreamVersion,
    pub position: Position,
    pub event_type: String,
    pub schema_version: u16,
    pub data: Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// Whether `new` is the same event (a retry): same id, stream, type, version and data.
    /// Metadata is not compared: a retry carries a new request id.
    pub fn is_same_as(&self, stream_id: &StreamId, new: &NewEvent) -> bool {
        self.event_id == new.event_id
            && &self.stream_id == stream_id
            && self.event_type == new.event_type
            && self.schema_version == new.schema_version
            && self.data == new.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_version_rules() {
        assert!(ExpectedVersion::Any.admits(0));
        assert!(ExpectedVersion::Any.admits(7));
        assert!(ExpectedVersion::NoStream.admits(0));
        assert!(!ExpectedVersion::NoStream.admits(1));
        assert!(ExpectedVersion::Exact(3).admits(3));
        assert!(!ExpectedVersion::Exact(3).admits(2));
        assert!(!ExpectedVersion::Exact(3).admits(4));
    }

    #[test]
    fn empty_metadata_serializes_to_an_empty_object() {
        assert_eq!(serde_json::to_string(&Metadata::default()).unwrap(), "{}");
    }
}
