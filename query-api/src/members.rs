//! The top-level members of a stored JSON document, each value left as its raw text: what a
//! `fields=` selection copies from.
//!
//! Two readers give the same answer. A byte scan does the common case: it finds where each
//! member's name and value begin and end (strings through `memchr`, nesting by counting brackets)
//! without validating what it skips. It gives up, and serde_json reads the document instead, on
//! anything it does not expect, and on a name holding an escape (which serde_json decodes). The
//! documents are the projectors' own serde_json output, so the scan's lack of validation only
//! matters for a corrupt row, which serde_json reports. The scan was written because serde_json's
//! `RawValue` walk, which validates every value it skips, was ~11% of Folio's CPU on a list of 20
//! cards.

use crate::error::QueryError;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One member: its name (decoded) and its value's JSON text as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    pub name: Cow<'a, str>,
    pub value: &'a str,
}

/// The members of `document`, a JSON object, in document order.
pub fn members(document: &str) -> Result<Vec<Member<'_>>, QueryError> {
    match scan(document) {
        Some(members) => Ok(members),
        None => by_serde(document),
    }
}

/// The members as serde_json reads them (validating the whole document).
fn by_serde(document: &str) -> Result<Vec<Member<'_>>, QueryError> {
    let members: SerdeMembers<'_> =
        serde_json::from_str(document).map_err(|e| QueryError::Corrupt(format!("a stored document: {e}")))?;
    Ok(members.0)
}

/// The byte scan; `None` when it cannot tell (see the module's comment).
fn scan(document: &str) -> Option<Vec<Member<'_>>> {
    let bytes = document.as_bytes();
    let mut i = skip_space(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_space(bytes, i + 1);
    let mut members = Vec::with_capacity(16);
    if bytes.get(i) == Some(&b'}') {
        return (skip_space(bytes, i + 1) == bytes.len()).then_some(members);
    }
    loop {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let name_end = string_end(bytes, i)?;
        let name = document.get(i + 1..name_end - 1)?;
        if name.contains('\\') {
            return None;
        }
        i = skip_space(bytes, name_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_space(bytes, i + 1);
        let end = value_end(bytes, start)?;
        members.push(Member { name: Cow::Borrowed(name), value: document.get(start..end)? });
        i = skip_space(bytes, end);
        match bytes.get(i)? {
            b',' => i = skip_space(bytes, i + 1),
            b'}' => return (skip_space(bytes, i + 1) == bytes.len()).then_some(members),
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// Just past the closing quote of the string whose opening quote is at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let found = i + memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[found] == b'"' {
            return Some(found + 1);
        }
        // A backslash and the character it escapes (`\uXXXX`'s digits hold no quote).
        i = found + 2;
    }
}

/// Just past the value that begins at `start`.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        // A number, `true`, `false` or `null`: up to what may follow a value.
        _ => {
            let rest = bytes.get(start..)?;
            let len = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(rest.len());
            (len > 0).then_some(start + len)
        }
    }
}

/// serde_json's reading: names decoded (borrowed unless they hold escapes), values raw.
struct SerdeMembers<'a>(Vec<Member<'a>>);

#[derive(serde::Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for SerdeMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = SerdeMembers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((name, value)) = map.next_entry::<Name<'de>, &'de RawValue>()? {
                    members.push(Member { name: name.0, value: value.get() });
                }
                Ok(SerdeMembers(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\"\\\\{}\\[\\],: a-z]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    fn object() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec(("[a-z_\"\\\\\u{e9}]{0,6}", json_value()), 0..8).prop_map(|p| p.into_iter().collect())
    }

    proptest! {
        /// The scan agrees with serde_json on every object, compact or pretty-printed, whenever
        /// it answers; it answers on every compact object whose names hold no escape.
        #[test]
        fn the_scan_agrees_with_serde_json(object in object()) {
            let compact = serde_json::to_string(&object).unwrap();
            let pretty = serde_json::to_string_pretty(&object).unwrap();
            for text in [&compact, &pretty] {
                let expected = by_serde(text).unwrap();
                if let Some(scanned) = scan(text) {
                    prop_assert_eq!(&scanned, &expected);
                }
                prop_assert_eq!(members(text).unwrap(), expected);
            }
            if object.keys().all(|k| !k.contains(['"', '\\']) && !k.chars().any(char::is_control)) {
                prop_assert!(scan(&compact).is_some(), "{}", compact);
            }
        }

        /// Whatever the bytes, the scan answers or gives up; it never panics.
        #[test]
        fn the_scan_never_panics(text in "[{}\\[\\]\":,\\\\a-z0-9 ]{0,40}") {
            let _ = scan(&text);
            let _ = members(&text);
        }
    }

    #[test]
    fn what_the_scan_gives_up_on_goes_to_serde_json() {
        assert_eq!(scan(r#"{"q\"uote":1}"#), None);
        assert_eq!(members(r#"{"q\"uote":1}"#).unwrap(), vec![Member { name: "q\"uote".into(), value: "1" }]);
        assert_eq!(scan("[1]"), None);
        assert!(members("[1]").is_err());
        assert_eq!(scan(r#"{"a":1} x"#), None);
        assert!(members(r#"{"a":1} x"#).is_err());
        assert_eq!(scan(r#"{"a":"#), None);
        assert!(members("{").is_err());
        assert_eq!(scan("{}"), Some(vec![]));
    }
}
