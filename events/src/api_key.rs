//! The API key format, `folio_<key id, 32 hex>_<secret, 64 hex>`, and how a presented secret is
//! checked against the stored SHA-256. Shared by the command API (which issues and checks keys)
//! and the query API (which checks them against its read model).

use sha2::{Digest, Sha256};
use std::fmt::Write;
use uuid::Uuid;

pub const PREFIX: &str = "folio";

/// Splits a presented key into its id and secret; `None` if it is not shaped like one of ours.
pub fn parse(token: &str) -> Option<(Uuid, &str)> {
    let rest = token.strip_prefix(PREFIX)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    let well_formed = id.len() == 32 && secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| Uuid::try_parse(id).ok().map(|id| (id, secret))).flatten()
}

/// Lowercase hex SHA-256 of `text`: how key secrets are stored.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Whether `secret` hashes to `secret_sha256` (compared in constant time).
pub fn secret_matches(secret_sha256: &str, secret: &str) -> bool {
    constant_time_eq(secret_sha256.as_bytes(), sha256_hex(secret).as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
