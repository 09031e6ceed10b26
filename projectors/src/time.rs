//! Times in the SQLite read models: INTEGER microseconds since the Unix epoch, UTC.

use chrono::{DateTime, Utc};

pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::UNIX_EPOCH)
}

/// Read models keep microseconds (what both databases store), so a time rendered before a
/// round trip through the database renders the same after it.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(micros(at))
}

/// The one text form of times in documents: RFC 3339, UTC, `Z`, only the fraction digits needed.
pub fn render(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
