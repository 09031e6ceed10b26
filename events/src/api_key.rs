//! The API key format, `folio_<key id, 32 hex>_<secret, 64 hex>`, and how a presented secret is
//! checked against the stored SHA-256. Shared by the command API (which issues and checks keys)
//! and the query API (which checks them against its read model).

use sha2::{Digest, Sha256};
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
    // Every request with a key hashes it: formatting each byte through `write!` took ten times
    // as long as the SHA-256 itself (perf, view writes).
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Whether `secret` hashes to `secret_sha256` (compared in constant time).
pub fn secret_matches(secret_sha256: &str, secret: &str) -> bool {
    constant_time_eq(secret_sha256.as_bytes(), sha256_hex(secret).as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn sha256_hex_matches_the_published_test_vector() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(secret_matches(&sha256_hex("s3cret"), "s3cret"));
        assert!(!secret_matches(&sha256_hex("s3cret"), "s3creT"));
    }
}
