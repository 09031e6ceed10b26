//! The keys projection: one row per API key (role, SHA-256 of the secret, label, revoked), so the
//! query API verifies keys without reading the event store.
//!
//! Rules (the same as the command side's fold, `command_api::keys::evolve`):
//! - `ApiKeyIssued` writes the key's role, secret hash, label and `issued_at`; it never clears a
//!   revocation.
//! - `ApiKeyRevoked` is sticky: the row says revoked from then on, `revoked_at` is the first
//!   revocation's time.
//! - A revoke for a key never seen issued (its `ApiKeyIssued` parked) does not fail: it leaves a
//!   revoked marker (`issued_at` NULL, empty role and hash, which no key matches), so replaying
//!   the parked issue later can never bring the key back to life.
//! - Events apply in log order within a batch: issued then revoked in one batch ends revoked.
//!
//! `Applied.items` lists the key ids a batch changed; the query API drops its key cache on any
//! notice from this projection.

mod plan;
mod postgres;
mod sqlite;

pub use plan::{plan, Issued, KeyRow};

use crate::error::ApplyError;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadTx;
use crate::replay::{delete_by_uuid, uuids, Subject};
use async_trait::async_trait;
use events::DomainEvent;
use std::collections::BTreeSet;

pub const NAME: &str = "keys";

#[derive(Debug, Clone, Copy, Default)]
pub struct KeysProjection;

#[async_trait]
impl Projection for KeysProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["api_keys"]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(event_type, "ApiKeyIssued" | "ApiKeyRevoked")
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError> {
        let rows = plan(events);
        match tx {
            ReadTx::Postgres(tx) => postgres::write(tx, &rows).await?,
            ReadTx::Sqlite(tx) => sqlite::write(tx, &rows).await?,
        }
        Ok(Applied { items: rows.keys().copied().collect(), ..Applied::default() })
    }

    #[allow(clippy::wildcard_enum_match_arm)] // only key events reach the keys projection
    fn subjects(&self, event: &DomainEvent) -> Vec<Subject> {
        match event {
            DomainEvent::ApiKeyIssued(e) => vec![Subject::ApiKey(e.key_id)],
            DomainEvent::ApiKeyRevoked(e) => vec![Subject::ApiKey(e.key_id)],
            _ => Vec::new(),
        }
    }

    async fn forget(&self, tx: &mut ReadTx, subjects: &BTreeSet<Subject>) -> Result<(), ApplyError> {
        let keys = uuids(subjects, |s| if let Subject::ApiKey(id) = s { Some(*id) } else { None });
        delete_by_uuid(tx, "api_keys", "key_id", &keys).await?;
        Ok(())
    }
}
