//! API keys: `folio_<key id, 32 hex>_<secret, 64 hex>`. The key id names the stream
//! (`apikey-<uuid>`) that holds `ApiKeyIssued` and maybe `ApiKeyRevoked`; only the SHA-256 of the
//! secret is stored, and the whole key is shown once, when issued.

use events::payloads::{ApiKeyIssued, ApiKeyRevoked, Role};
use events::{Category, DomainEvent, StreamId, StreamIdError};
use uuid::Uuid;

pub use events::api_key::{hex, parse, secret_matches, sha256_hex, PREFIX};

/// A key's state, folded from its stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyState {
    pub issued: Option<ApiKeyIssued>,
    pub revoked: bool,
}

impl KeyState {
    /// The role of a live key whose secret hashes to what was issued.
    pub fn verify(&self, secret: &str) -> Option<Role> {
        let issued = self.issued.as_ref().filter(|_| !self.revoked)?;
        secret_matches(&issued.secret_sha256, secret).then_some(issued.role)
    }

    pub fn is_live(&self) -> bool {
        self.issued.is_some() && !self.revoked
    }
}

/// Folds one event of a key's stream.
pub fn evolve(mut state: KeyState, event: &DomainEvent) -> KeyState {
    match event {
        DomainEvent::ApiKeyIssued(issued) => state.issued = Some(issued.clone()),
        DomainEvent::ApiKeyRevoked(_) => state.revoked = true,
        DomainEvent::ContentTypeDefined(_)
        | DomainEvent::ContentTypeRevised(_)
        | DomainEvent::ContentCreated(_)
        | DomainEvent::ContentRevised(_)
        | DomainEvent::ContentPublished(_)
        | DomainEvent::ContentUnpublished(_)
        | DomainEvent::ContentScheduled(_)
        | DomainEvent::ContentArchived(_)
        | DomainEvent::SlugClaimed(_)
        | DomainEvent::SlugReleased(_)
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
        | DomainEvent::ContentViewed(_)
        | DomainEvent::ContentLiked(_)
        | DomainEvent::ContentUnliked(_)
        | DomainEvent::ContentShared(_)
        | DomainEvent::ContentBookmarked(_)
        | DomainEvent::ContentUnbookmarked(_)
        | DomainEvent::IdempotentRequestRecorded(_) => {}
    }
    state
}

pub fn stream(key_id: Uuid) -> Result<StreamId, StreamIdError> {
    let category = Category::parse("apikey").map_err(StreamIdError::Category)?;
    StreamId::new(&category, key_id)
}

/// A new key: the event to append and the key to show once. `random` must come from the OS.
pub fn issue(key_id: Uuid, role: Role, label: Option<String>, random: [u8; 32]) -> (DomainEvent, String) {
    let secret = hex(&random);
    let event = DomainEvent::ApiKeyIssued(ApiKeyIssued { key_id, role, secret_sha256: sha256_hex(&secret), label });
    (event, format!("{PREFIX}_{}_{secret}", key_id.simple()))
}

pub fn revoke(key_id: Uuid) -> DomainEvent {
    DomainEvent::ApiKeyRevoked(ApiKeyRevoked { key_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_key_verifies_until_revoked() {
        let id = Uuid::now_v7();
        let (event, key) = issue(id, Role::Editor, None, [7; 32]);
        let (parsed_id, secret) = parse(&key).unwrap();
        assert_eq!(parsed_id, id);
        let state = evolve(KeyState::default(), &event);
        assert_eq!(state.verify(secret), Some(Role::Editor));
        assert_eq!(state.verify(&"0".repeat(64)), None, "another secret");
        let state = evolve(state, &revoke(id));
        assert_eq!(state.verify(secret), None);
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let (event, key) = issue(Uuid::now_v7(), Role::Admin, None, [1; 32]);
        let DomainEvent::ApiKeyIssued(issued) = event else { unreachable!() };
        assert!(!key.contains(&issued.secret_sha256));
        assert_eq!(issued.secret_sha256.len(), 64);
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let id = Uuid::now_v7().simple().to_string();
        let secret = "a".repeat(64);
        assert!(parse(&format!("folio_{id}_{secret}")).is_some());
        for bad in [
            String::new(),
            format!("other_{id}_{secret}"),
            format!("folio_{id}{secret}"),
            format!("folio_{id}_{}", "g".repeat(64)),
            format!("folio_{id}_{}", "a".repeat(63)),
            format!("folio_{}_{secret}", "z".repeat(32)),
        ] {
            assert!(parse(&bad).is_none(), "{bad:?}");
        }
    }
}
