//! The row shape both backends read events back as (each backend's SELECT casts to it).

use super::error::StoreError;
use chrono::{DateTime, Utc};
use events::{EventId, RecordedEvent, StreamId};
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_type: String,
    pub schema_version: i64,
    pub data: String,
    pub metadata: String,
    /// Microseconds since the Unix epoch.
    pub recorded_at: i64,
}

/// Both backends store `recorded_at` with microsecond precision.
pub(crate) fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// Positions, versions and counts travel as i64 in SQL; they are never negative.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl EventRow {
    pub(crate) fn into_recorded(self) -> Result<RecordedEvent, StoreError> {
        let position = self.position;
        let corrupt = |reason: String| StoreError::Corrupt { position, reason };
        Ok(RecordedEvent {
            event_id: EventId(self.event_id),
            stream_id: StreamId::parse(self.stream_id).map_err(|e| corrupt(e.to_string()))?,
            stream_version: u64::try_from(self.stream_version).map_err(|e| corrupt(e.to_string()))?,
            position: u64::try_from(self.position).map_err(|e| corrupt(e.to_string()))?,
            event_type: self.event_type,
            schema_version: u16::try_from(self.schema_version).map_err(|e| corrupt(e.to_string()))?,
            data: serde_json::from_str(&self.data).map_err(|e| corrupt(format!("data: {e}")))?,
            metadata: serde_json::from_str(&self.metadata).map_err(|e| corrupt(format!("metadata: {e}")))?,
            recorded_at: DateTime::from_timestamp_micros(self.recorded_at)
                .ok_or_else(|| corrupt("recorded_at out of range".into()))?,
        })
    }
}
