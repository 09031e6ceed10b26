//! Events in PostgreSQL's binary `COPY` format, for the import's `COPY ... WITH (FORMAT binary)`.
//!
//! Rules (PostgreSQL's documentation, "COPY", section "Binary Format"):
//! - a stream is [`HEADER`], then one tuple per row, then [`TRAILER`];
//! - a tuple is its field count (int16), then per field its byte length (int32) and its bytes,
//!   every integer in network byte order;
//! - each field is in its type's binary form: int8 and int2 big-endian, uuid its 16 bytes, text
//!   and json their UTF-8 text, timestamptz microseconds since 2000-01-01 00:00 UTC as an int8.
//!
//! Binary spares the server the text format's parsing of numbers, ids and times and its scan for
//! escapes: a fifth of the COPY's time on the bench data (`perf/RESULTS.md`).

use super::import::{ImportError, ImportedEvent};
use super::row::to_i64;
use sqlx::postgres::PgCopyIn;
use sqlx::PgConnection;

/// The columns every import COPY writes, after its leading one (`position`, or staging's `ord`).
const EVENT_COLUMNS: &str =
    "event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at";

/// COPY data is sent in pieces of about this many bytes.
const SEND_BYTES: usize = 1 << 20;

/// One binary `COPY ... FROM STDIN` in progress: rows are buffered and sent in pieces of about
/// a mebibyte; [`Self::finish`] sends the trailer and checks the server took every row.
pub(crate) struct BinaryCopy<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buffer: Vec<u8>,
    rows: u64,
}

impl<'c> BinaryCopy<'c> {
    /// Starts `COPY <table> (<leading>, <the event's columns>) FROM STDIN` in binary format;
    /// `frozen` adds `FREEZE` (the table must have been created or truncated in the same
    /// transaction).
    pub(crate) async fn start(
        conn: &'c mut PgConnection,
        table: &str,
        leading: &str,
        frozen: bool,
    ) -> Result<Self, ImportError> {
        let freeze = if frozen { ", FREEZE" } else { "" };
        let statement = format!("COPY {table} ({leading}, {EVENT_COLUMNS}) FROM STDIN WITH (FORMAT binary{freeze})");
        let copy = conn.copy_in_raw(&statement).await?;
        let mut buffer = Vec::with_capacity(SEND_BYTES + 64 * 1024);
        buffer.extend_from_slice(HEADER);
        Ok(Self { copy, buffer, rows: 0 })
    }

    /// Adds one row ([`push_event`]), sending the buffer once it is full.
    pub(crate) async fn push(&mut self, leading: u64, event: &ImportedEvent) -> Result<(), ImportError> {
        push_event(&mut self.buffer, leading, event);
        self.rows += 1;
        if self.buffer.len() >= SEND_BYTES {
            self.copy.send(self.buffer.as_slice()).await?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Ends the COPY. The server's count of rows must be the rows pushed.
    pub(crate) async fn finish(mut self) -> Result<u64, ImportError> {
        self.buffer.extend_from_slice(TRAILER);
        self.copy.send(self.buffer.as_slice()).await?;
        let rows = self.copy.finish().await?;
        if rows != self.rows {
            let reason = format!("COPY wrote {rows} of {} rows", self.rows);
            return Err(super::error::StoreError::Corrupt { position: 0, reason }.into());
        }
        Ok(rows)
    }

    /// Cancels the COPY: the server discards it and fails the transaction.
    pub(crate) async fn abort(self, reason: &str) -> Result<(), ImportError> {
        Ok(self.copy.abort(reason).await?)
    }
}

/// The signature, the flags (no OIDs) and an empty header extension.
pub(crate) const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The field count -1 that ends the data.
pub(crate) const TRAILER: &[u8] = &[0xff, 0xff];

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC).
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Appends one row: `leading` (a position, or a staging table's order), then the event's
/// columns event_id, stream_id, stream_version, event_type, schema_version, data, metadata,
/// recorded_at (truncated to microseconds, as the store keeps it).
pub(crate) fn push_event(out: &mut Vec<u8>, leading: u64, event: &ImportedEvent) {
    out.extend_from_slice(&9i16.to_be_bytes());
    push_int8(out, to_i64(leading));
    push_field(out, event.event_id.0.as_bytes());
    push_field(out, event.stream_id.as_str().as_bytes());
    push_int8(out, to_i64(event.stream_version));
    push_field(out, event.event_type.as_bytes());
    // Callers refuse schema versions above `MAX_SCHEMA_VERSION` (`import::batch_ids`) first.
    push_field(out, &i16::try_from(event.schema_version).unwrap_or(i16::MAX).to_be_bytes());
    push_json(out, &event.data);
    push_json(out, &event.metadata);
    push_int8(out, event.recorded_at.timestamp_micros() - POSTGRES_EPOCH_MICROS);
}

fn push_int8(out: &mut Vec<u8>, value: i64) {
    push_field(out, &value.to_be_bytes());
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&i32::try_from(bytes.len()).unwrap_or(i32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A json field, serialized in place: its length is written once the text is.
fn push_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    if serde_json::to_writer(&mut *out, value).is_err() {
        // A `Value` or `Metadata` always serializes; should one not, the field is `{}`, as an
        // append stores it.
        out.truncate(length_at + 4);
        out.extend_from_slice(b"{}");
    }
    let length = i32::try_from(out.len() - length_at - 4).unwrap_or(i32::MAX);
    out[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use events::{EventId, Metadata, StreamId};

    #[test]
    fn the_header_is_the_signature_then_zero_flags_and_extension() {
        assert_eq!(HEADER.len(), 19);
        assert_eq!(&HEADER[..11], b"PGCOPY\n\xff\r\n\0");
        assert!(HEADER[11..].iter().all(|&b| b == 0));
    }

    /// Every field at its place, with its length: a reader of the format gets the event back.
    #[test]
    fn a_row_is_nine_length_prefixed_fields_in_network_order() {
        let at: DateTime<Utc> = "2000-01-01T00:00:01.000002500Z".parse().unwrap();
        let event = ImportedEvent {
            event_id: EventId(uuid::Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10)),
            stream_id: StreamId::parse("content-1").unwrap(),
            stream_version: 3,
            event_type: "ContentCreated".into(),
            schema_version: 2,
            data: serde_json::json!({"title": "tab\there"}),
            metadata: Metadata::default(),
            recorded_at: at,
        };
        let mut out = Vec::new();
        push_event(&mut out, 42, &event);

        let mut rest = &out[..];
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        };
        assert_eq!(take(2), 9i16.to_be_bytes());
        let mut fields = Vec::new();
        for _ in 0..9 {
            let length = i32::from_be_bytes(take(4).try_into().unwrap());
            fields.push(take(usize::try_from(length).unwrap()));
        }
        assert!(rest.is_empty(), "nothing after the ninth field");
        assert_eq!(fields[0], 42i64.to_be_bytes());
        assert_eq!(fields[1], event.event_id.0.as_bytes());
        assert_eq!(fields[2], b"content-1");
        assert_eq!(fields[3], 3i64.to_be_bytes());
        assert_eq!(fields[4], b"ContentCreated");
        assert_eq!(fields[5], 2i16.to_be_bytes());
        assert_eq!(fields[6], br#"{"title":"tab\there"}"#, "json as its text, escapes and all");
        assert_eq!(fields[7], serde_json::to_vec(&Metadata::default()).unwrap());
        assert_eq!(fields[8], 1_000_002i64.to_be_bytes(), "microseconds since 2000-01-01, the rest cut");

        // Before PostgreSQL's epoch the time is negative, cut towards the past as the store does.
        let before = ImportedEvent { recorded_at: "1999-12-31T23:59:59.000000500Z".parse().unwrap(), ..event };
        let mut out = Vec::new();
        push_event(&mut out, 1, &before);
        let micros = i64::from_be_bytes(out[out.len() - 8..].try_into().unwrap());
        assert_eq!(micros, -1_000_000);
        assert_eq!(
            DateTime::from_timestamp_micros(micros + POSTGRES_EPOCH_MICROS),
            Some(crate::event_store::row::truncate_to_micros(before.recorded_at))
        );
    }
}
