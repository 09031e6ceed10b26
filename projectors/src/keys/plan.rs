//! What a batch of key events writes: one change per key, the batch's events folded in log
//! order. Pure.

use crate::projection::Decoded;
use chrono::{DateTime, Utc};
use events::DomainEvent;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What an `ApiKeyIssued` says about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The role's serde name (`admin`, `editor`, ...).
    pub role: &'static str,
    pub secret_sha256: String,
    pub label: Option<String>,
    pub issued_at: DateTime<Utc>,
}

/// A batch's change to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The last issue of the key in the batch, if any.
    pub issued: Option<Issued>,
    /// The first revocation of the key in the batch, if any.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The position of the batch's last event about the key.
    pub position: i64,
}

/// Folds a batch into one change per key, in key order.
pub fn plan(events: &[Decoded]) -> BTreeMap<Uuid, KeyRow> {
    let mut rows: BTreeMap<Uuid, KeyRow> = BTreeMap::new();
    for decoded in events {
        let position = i64::try_from(decoded.position).unwrap_or(i64::MAX);
        let (key_id, issued) = match &decoded.event {
            DomainEvent::ApiKeyIssued(e) => {
                let issued = Issued {
                    role: e.role.as_str(),
                    secret_sha256: e.secret_sha256.clone(),
                    label: e.label.clone(),
                    issued_at: decoded.recorded_at,
                };
                (e.key_id, Some(issued))
            }
            DomainEvent::ApiKeyRevoked(e) => (e.key_id, None),
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
            | DomainEvent::IdempotentRequestRecorded(_) => continue,
        };
        let row = rows.entry(key_id).or_insert(KeyRow { issued: None, revoked_at: None, position });
        row.position = position;
        match issued {
            Some(issued) => row.issued = Some(issued),
            None => {
                row.revoked_at.get_or_insert(decoded.recorded_at);
            }
        }
    }
    rows
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use events::payloads::{ApiKeyIssued, ApiKeyRevoked, Role};
    use events::EventId;

    fn decoded(position: u64, event: DomainEvent) -> Decoded {
        Decoded {
            position,
            event_id: EventId::now_v7(),
            stream_version: 1,
            recorded_at: DateTime::from_timestamp(i64::try_from(position).unwrap(), 0).unwrap(),
            event,
        }
    }

    fn issued(key_id: Uuid, role: Role) -> DomainEvent {
        DomainEvent::ApiKeyIssued(ApiKeyIssued { key_id, role, secret_sha256: "ab".repeat(32), label: None })
    }

    #[test]
    fn roles_are_stored_by_their_serde_names() {
        for role in Role::ALL {
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
    }

    #[test]
    fn a_batch_folds_in_log_order_and_the_first_revocation_counts() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let revoke = |key_id| DomainEvent::ApiKeyRevoked(ApiKeyRevoked { key_id });
        let rows = plan(&[
            decoded(10, issued(a, Role::Site)),
            decoded(11, revoke(b)),
            decoded(12, revoke(a)),
            decoded(13, revoke(a)),
        ]);
        let row = &rows[&a];
        assert_eq!(row.issued.as_ref().map(|i| i.role), Some("site"));
        assert_eq!((row.revoked_at.map(|t| t.timestamp()), row.position), (Some(12), 13));
        assert!(rows[&b].issued.is_none(), "a revoke alone: the marker");
    }
}
