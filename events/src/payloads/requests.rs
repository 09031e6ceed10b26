use crate::envelope::EventId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A request sent with an `Idempotency-Key` was carried out. Appended in the same transaction as
/// the request's own events, to `idempotency-<key id>:<hash of the Idempotency-Key>`, so a retry
/// finds it and answers what the first call answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotentRequestRecorded {
    /// Lowercase hex SHA-256 of the method, the path and the body: the same key with another
    /// request is refused.
    pub request_sha256: String,
    pub status: u16,
    /// The response body, without `version` and `position` when the request appended events
    /// (those are read back from `primary` and the last of `events`).
    pub response: Value,
    /// The events the request appended, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventId>,
    /// The event whose stream version is the response's `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<EventId>,
}
