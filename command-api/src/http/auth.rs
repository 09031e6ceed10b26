//! `Authorization: Bearer <key>` against the key's stream in the event store.

use super::ApiError;
use super::CommandState;
use crate::keys::{self, KeyState};
use crate::live::CachedKey;
use crate::stream_state::fold;
use actix_web::HttpRequest;
use events::payloads::Role;
use infra::EventStore;
use uuid::Uuid;

/// Who is calling, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub key_id: Uuid,
    pub role: Role,
}

impl Caller {
    /// How the caller appears in event metadata and as an item's owner.
    pub fn actor(&self) -> String {
        format!("key:{}", self.key_id.simple())
    }
}

/// The caller, if its key is live and its role is one of `allowed`.
pub async fn authorize(req: &HttpRequest, state: &CommandState, allowed: &[Role]) -> Result<Caller, ApiError> {
    let header = req.headers().get("authorization").ok_or(ApiError::MissingCredentials)?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or(ApiError::InvalidCredentials)?;
    let (key_id, secret) = keys::parse(token.trim()).ok_or(ApiError::InvalidCredentials)?;
    let role = match state.live.key(key_id) {
        Some(cached) => keys::secret_matches(&cached.secret_sha256, secret).then_some(cached.role),
        None => {
            let read_at = state.store.head().await?;
            let key = load(state.store.as_ref(), key_id).await?;
            if let (Some(issued), true) = (&key.issued, key.is_live()) {
                let cached = CachedKey { role: issued.role, secret_sha256: issued.secret_sha256.clone() };
                state.live.fill_key(key_id, cached, read_at);
            }
            key.verify(secret)
        }
    };
    let role = role.ok_or(ApiError::InvalidCredentials)?;
    if !allowed.contains(&role) {
        return Err(ApiError::Forbidden { role });
    }
    Ok(Caller { key_id, role })
}

/// A key's state and stream version.
pub async fn load(store: &dyn EventStore, key_id: Uuid) -> Result<KeyState, ApiError> {
    let stream = keys::stream(key_id).map_err(|_| ApiError::InvalidCredentials)?;
    Ok(fold(store, &stream, |state, event, _| keys::evolve(state, event)).await?.state)
}
