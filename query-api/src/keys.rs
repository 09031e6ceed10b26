//! Who is asking: the API key in `Authorization: Bearer <key>`, checked against the `api_keys`
//! read model (the query API reads no event store). Verified keys are remembered until the
//! `keys` projection announces a change, so a revoked key stops working once projected.

use crate::db::ReadDb;
use crate::error::QueryError;
use crate::plan::Audience;
use crate::sql::lookups;
use crate::state::Freshness;
use events::payloads::Role;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use uuid::Uuid;

/// The projection whose notices clear this cache.
pub const PROJECTION: &str = "keys";
/// Unknown key ids remembered at most (beyond, the memory is cleared: random ids cannot grow it).
const MAX_REMEMBERED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyRow {
    role: Role,
    secret_sha256: String,
}

/// The caller: anonymous, or the role of a valid key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub role: Option<Role>,
}

impl Caller {
    pub fn audience(&self) -> Audience {
        match self.role {
            Some(Role::Admin | Role::Editor) => Audience::Editor,
            Some(Role::Author | Role::Moderator | Role::Site) | None => Audience::Public,
        }
    }

    /// Users' history and state are private: only the site acting for its users, and staff.
    pub fn may_read_users(&self) -> Result<(), QueryError> {
        match self.role {
            Some(Role::Admin | Role::Editor | Role::Site) => Ok(()),
            Some(Role::Author | Role::Moderator) => Err(QueryError::Forbidden),
            None => Err(QueryError::Unauthorized("missing_credentials")),
        }
    }
}

#[derive(Debug, Default)]
pub struct KeyCache {
    known: Mutex<HashMap<Uuid, Option<KeyRow>>>,
    generation: AtomicU64,
}

impl KeyCache {
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// The caller of a request with this `Authorization` header value (None: anonymous).
    /// Who `authorization` is. A [`Freshness::Committed`] read asks the database: the notice
    /// that would have dropped a remembered answer (an unknown key since issued, a key since
    /// revoked) may not have arrived yet.
    pub async fn caller(
        &self,
        db: &ReadDb,
        authorization: Option<&str>,
        freshness: Freshness,
    ) -> Result<Caller, QueryError> {
        let Some(header) = authorization else { return Ok(Caller { role: None }) };
        let invalid = QueryError::Unauthorized("invalid_credentials");
        let token = header.strip_prefix("Bearer ").ok_or(QueryError::Unauthorized("invalid_credentials"))?;
        let (key_id, secret) =
            events::api_key::parse(token.trim()).ok_or(QueryError::Unauthorized("invalid_credentials"))?;
        let row = self.row(db, key_id, freshness).await?.ok_or(QueryError::Unauthorized("invalid_credentials"))?;
        if events::api_key::secret_matches(&row.secret_sha256, secret) {
            Ok(Caller { role: Some(row.role) })
        } else {
            Err(invalid)
        }
    }

    async fn row(&self, db: &ReadDb, key_id: Uuid, freshness: Freshness) -> Result<Option<KeyRow>, QueryError> {
        if freshness == Freshness::Notified {
            if let Some(known) = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key_id) {
                return Ok(known.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let rows = db.fetch(&lookups::api_key(db.dialect(), key_id)).await?;
        let row = match rows.first() {
            Some(row) if !row.bool(2)? => {
                let role: Role = serde_json::from_value(serde_json::Value::String(row.text(0)?))
                    .map_err(|e| QueryError::Corrupt(format!("api_keys.role: {e}")))?;
                Some(KeyRow { role, secret_sha256: row.text(1)? })
            }
            Some(_) | None => None,
        };
        let mut known = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A notice that arrived while we read may have made this row stale: do not keep it.
        if self.generation.load(Ordering::Acquire) == generation {
            if known.len() >= MAX_REMEMBERED {
                known.clear();
            }
            known.insert(key_id, row.clone());
        }
        Ok(row)
    }
}
