//! Keyset cursors: opaque, tamper-evident, and bound to the query that made them.
//!
//! A cursor is the sort key and id of the last row of a page. The token is
//! `base64url(json) "." base64url(tag)`, where the tag is an HMAC-SHA256 (truncated to 128
//! bits) over the query's scope (type, filters, sort, search, audience) and the JSON. So a
//! cursor cannot be edited, nor replayed against another query; since it holds a position in
//! the order and not an offset, rows inserted before it do not shift the next page.

use crate::error::BadInput;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

const TAG_BYTES: usize = 16;
/// Longest token accepted (a text sort key is at most a parameter's length).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The value of the sort key at a row. `Null` sorts lowest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum KeyValue {
    #[serde(rename = "z")]
    Null,
    /// Carried as its IEEE-754 bits: a decimal rendering may not read back to the same float,
    /// and a key one ulp off would skip or repeat rows (the round-trip property test found it).
    #[serde(rename = "f", with = "float_bits")]
    Num(f64),
    /// Times, as microseconds since the epoch (exact, unlike a float).
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "s")]
    Text(String),
}

mod float_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        u64::deserialize(deserializer).map(f64::from_bits)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k")]
    pub key: KeyValue,
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// Signs and checks cursors with one secret, shared by every query-api replica.
#[derive(Clone)]
pub struct CursorCodec {
    secret: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorCodec").finish_non_exhaustive()
    }
}

impl CursorCodec {
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: secret.to_vec() }
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts a key of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope.as_bytes());
        mac.update(payload);
        mac
    }

    pub fn encode(&self, scope: &str, cursor: &Cursor) -> String {
        let payload = serde_json::to_vec(cursor).unwrap_or_default();
        let tag = self.mac(scope, &payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES]))
    }

    /// The cursor in `token`, if this codec made it for `scope`.
    pub fn decode(&self, scope: &str, token: &str) -> Result<Cursor, BadInput> {
        let malformed = || BadInput::new("malformed_cursor", "after", "this is not a cursor this API returned");
        if token.len() > MAX_TOKEN_BYTES {
            return Err(malformed());
        }
        let (payload, tag) = token.split_once('.').ok_or_else(malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| malformed())?;
        if tag.len() != TAG_BYTES {
            return Err(malformed());
        }
        self.mac(scope, &payload).verify_truncated_left(&tag).map_err(|_| {
            BadInput::new(
                "invalid_cursor",
                "after",
                "the cursor was altered, or belongs to another query (same type, filters, sort and search)",
            )
        })?;
        serde_json::from_slice(&payload).map_err(|_| malformed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(b"test secret")
    }

    fn key() -> impl Strategy<Value = KeyValue> {
        prop_oneof![
            Just(KeyValue::Null),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(KeyValue::Num),
            any::<i64>().prop_map(KeyValue::Int),
            ".{0,200}".prop_map(KeyValue::Text),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(key in key(), id in any::<u128>(), scope in ".{0,100}") {
            let cursor = Cursor { key, id: Uuid::from_u128(id) };
            let token = codec().encode(&scope, &cursor);
            prop_assert_eq!(codec().decode(&scope, &token).unwrap(), cursor);
        }

        #[test]
        fn any_change_to_a_token_is_refused(key in key(), at in any::<prop::sample::Index>(), to in any::<u8>()) {
            let token = codec().encode("s", &Cursor { key, id: Uuid::nil() });
            let mut bytes = token.clone().into_bytes();
            let i = at.index(bytes.len());
            prop_assume!(bytes[i] != to);
            bytes[i] = to;
            if let Ok(altered) = String::from_utf8(bytes) {
                prop_assert!(codec().decode("s", &altered).is_err());
            }
        }

        #[test]
        fn garbage_is_refused_not_panicked_on(token in ".{0,300}") {
            prop_assert!(codec().decode("s", &token).is_err());
        }
    }

    #[test]
    fn a_cursor_of_another_query_or_secret_is_refused() {
        let token = codec().encode("article|sort=-published_at", &Cursor { key: KeyValue::Int(5), id: Uuid::nil() });
        assert_eq!(codec().decode("article|sort=published_at", &token).unwrap_err().code, "invalid_cursor");
        assert_eq!(
            CursorCodec::new(b"other").decode("article|sort=-published_at", &token).unwrap_err().code,
            "invalid_cursor"
        );
        assert_eq!(codec().decode("s", "not-a-cursor").unwrap_err().code, "malformed_cursor");
    }
}
