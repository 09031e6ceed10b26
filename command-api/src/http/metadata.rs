//! Event metadata from a request: the key that acts, the request id, the correlation id
//! (`X-Correlation-Id` when it is a UUID, else a new one for this request), and the causation id:
//! the command that caused the events, i.e. this request (its id when that is a UUID, as the ids
//! Folio generates are, else a new one).

use super::auth::Caller;
use actix_web::HttpRequest;
use events::Metadata;
use infra::http::RequestId;
use uuid::Uuid;

pub fn of(req: &HttpRequest, caller: &Caller, request_id: &RequestId) -> Metadata {
    let correlation = req
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::try_parse(v).ok())
        .unwrap_or_else(Uuid::now_v7);
    Metadata {
        actor: Some(caller.actor()),
        request_id: Some(request_id.0.clone()),
        correlation_id: Some(correlation),
        causation_id: Some(Uuid::try_parse(&request_id.0).unwrap_or_else(|_| Uuid::now_v7())),
    }
}
