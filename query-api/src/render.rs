//! Responses are assembled from the pre-rendered JSON the projections stored: documents are
//! copied byte for byte, never parsed into values and serialised again. Counters are spliced in
//! before the closing brace; a `fields=` selection walks the document's top-level members as raw
//! slices and copies the chosen ones.

use crate::error::QueryError;
use crate::members::{self, Member};
use std::borrow::Cow;
use std::fmt::Write;

/// An item's engagement counters (zero until its first engagement).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub views: i64,
    pub likes: i64,
    pub shares: i64,
    pub bookmarks: i64,
    pub comments: i64,
}

impl Counters {
    fn pairs(&self) -> [(&'static str, i64); 5] {
        [
            ("views", self.views),
            ("likes", self.likes),
            ("shares", self.shares),
            ("bookmarks", self.bookmarks),
            ("comments", self.comments),
        ]
    }
}

/// Appends a member's name as a JSON string. A borrowed name had no escapes in a valid document,
/// so it holds no quote, backslash or control character and is written as it was read.
fn write_name(out: &mut String, member: &Member<'_>) {
    match &member.name {
        Cow::Borrowed(name) => {
            out.push('"');
            out.push_str(name);
            out.push('"');
        }
        Cow::Owned(name) => string(out, name),
    }
}

/// Appends `document` with its counters to `out`; with `fields`, only those members (and `id`).
pub fn document(
    out: &mut String,
    document: &str,
    counters: &Counters,
    fields: Option<&[String]>,
) -> Result<(), QueryError> {
    let Some(fields) = fields else {
        let body = document.trim_end();
        let inner = body
            .strip_suffix('}')
            .ok_or_else(|| QueryError::Corrupt("a stored document is not a JSON object".into()))?;
        out.push_str(inner);
        let mut first = inner.trim_end().ends_with('{');
        for (name, value) in counters.pairs() {
            out.push_str(if first { "" } else { "," });
            first = false;
            let _ = write!(out, "\"{name}\":{value}");
        }
        out.push('}');
        return Ok(());
    };
    let members = members::members(document)?;
    out.push('{');
    let mut first = true;
    for member in &members {
        let name = &member.name;
        if name == "id" || fields.iter().any(|f| f == name) {
            if !first {
                out.push(',');
            }
            first = false;
            write_name(out, member);
            out.push(':');
            out.push_str(member.value);
        }
    }
    for (name, value) in counters.pairs() {
        if fields.iter().any(|f| f == name) {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{name}\":{value}");
        }
    }
    out.push('}');
    Ok(())
}

/// A JSON string literal.
pub fn string(out: &mut String, value: &str) {
    out.push_str(&serde_json::to_string(value).unwrap_or_default());
}

/// `"<next cursor>"` or `null`.
pub fn next(out: &mut String, next: Option<&str>) {
    match next {
        Some(token) => string(out, token),
        None => out.push_str("null"),
    }
}

/// An RFC 3339 time (UTC, `Z`, as many fractional digits as needed), as the documents render it:
/// what chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes, written in place.
pub fn time(out: &mut String, micros: Option<i64>) {
    use chrono::{Datelike, Timelike};
    match micros.and_then(chrono::DateTime::from_timestamp_micros) {
        Some(t) if (0..=9999).contains(&t.year()) => {
            let nanos = t.nanosecond();
            let _ = write!(
                out,
                "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            let _ = match nanos {
                0 => Ok(()),
                n if n % 1_000_000 == 0 => write!(out, ".{:03}", n / 1_000_000),
                n if n % 1_000 == 0 => write!(out, ".{:06}", n / 1_000),
                n => write!(out, ".{n:09}"),
            };
            out.push_str("Z\"");
        }
        Some(t) => {
            out.push('"');
            out.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"id":"a","type":"article","title":"Hi \"there\"","tags":[{"id":"t","name":"x"}],"n":null}"#;
    const COUNTERS: Counters = Counters { views: 3, likes: 1, shares: 0, bookmarks: 2, comments: 5 };

    #[test]
    fn counters_are_spliced_into_the_stored_bytes() {
        let mut out = String::new();
        document(&mut out, DOC, &COUNTERS, None).unwrap();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["title"], "Hi \"there\"");
        assert_eq!((value["views"].as_i64(), value["comments"].as_i64()), (Some(3), Some(5)));
        assert!(out.starts_with(&DOC[..DOC.len() - 1]), "the document's bytes are kept as stored");
    }

    #[test]
    fn a_selection_keeps_id_and_the_chosen_members_in_document_order() {
        let mut out = String::new();
        let fields = ["views".to_owned(), "tags".to_owned()];
        document(&mut out, DOC, &COUNTERS, Some(&fields)).unwrap();
        assert_eq!(out, r#"{"id":"a","tags":[{"id":"t","name":"x"}],"views":3}"#);
    }

    #[test]
    fn a_selected_name_with_escapes_is_written_back_escaped() {
        let mut out = String::new();
        let doc = r#"{"id":"a","q\"uo\u0074e":1,"plain":2}"#;
        let fields = ["q\"uote".to_owned(), "plain".to_owned()];
        document(&mut out, doc, &Counters::default(), Some(&fields)).unwrap();
        assert_eq!(out, r#"{"id":"a","q\"uote":1,"plain":2}"#);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["q\"uote"], 1);
    }

    use proptest::prelude::*;

    proptest! {
        /// Times are written as chrono's RFC 3339 (`AutoSi`, `Z`) would write them, whatever the
        /// value (whole seconds, milliseconds, microseconds; before 1970; past 9999).
        #[test]
        fn times_are_written_as_chrono_writes_them(micros in prop_oneof![
            any::<i64>().prop_map(|m| m / 1000),
            (-100_000_000_000i64..300_000_000_000).prop_map(|s| s * 1_000_000),
            (-100_000_000_000_000i64..300_000_000_000_000).prop_map(|m| m - m % 1000),
        ]) {
            let mut out = String::new();
            time(&mut out, Some(micros));
            let expected = chrono::DateTime::from_timestamp_micros(micros)
                .map(|t| format!("\"{}\"", t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
                .unwrap_or_else(|| "null".to_owned());
            prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn a_corrupt_document_is_an_error_not_a_panic() {
        let mut out = String::new();
        assert!(document(&mut out, "[1]", &COUNTERS, None).is_err());
        assert!(document(&mut out, "{", &COUNTERS, Some(&[])).is_err());
    }
}
