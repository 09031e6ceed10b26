//! `POST /v1/keys` (issue a key, shown once) and `DELETE /v1/keys/{id}` (revoke). Admin only.

use super::auth::{authorize, load};
use super::idempotency::idempotent;
use super::idempotency::{commit, Outcome};
#[allow(unused_imports)] // names used by the #[utoipa::path] attributes
use super::openapi::*;
use super::{metadata, ApiError, CommandState};
use crate::keys;
use crate::violation::Violation;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use events::payloads::Role;
use events::{EventId, ExpectedVersion};
use infra::http::RequestId;
use infra::AppendRequest;
use serde_json::{json, Value};
use uuid::Uuid;

fn parse_request(body: &Value) -> Result<(Role, Option<String>), ApiError> {
    let invalid = |path: &str, code, message: &str| ApiError::Invalid(vec![Violation::new(path, code, message)]);
    let object = body.as_object().ok_or_else(|| invalid("body", "wrong_kind", "expected a JSON object"))?;
    if let Some(key) = object.keys().find(|k| !matches!(k.as_str(), "role" | "label")) {
        return Err(invalid(key, "unknown_member", "only role and label are allowed"));
    }
    let role = object
        .get("role")
        .and_then(Value::as_str)
        .and_then(Role::parse)
        .ok_or_else(|| invalid("role", "invalid_role", "role is one of admin, editor, author, moderator, site"))?;
    let label = match object.get("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(label)) if label.chars().count() <= 200 && !label.chars().any(char::is_control) => {
            Some(label.clone())
        }
        Some(_) => return Err(invalid("label", "invalid_label", "label is text of at most 200 characters")),
    };
    Ok((role, label))
}

/// New random bytes for a key secret, from the operating system.
pub fn random_secret() -> Result<[u8; 32], ApiError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| ApiError::Randomness(e.to_string()))?;
    Ok(random)
}

#[utoipa::path(post, operation_id = "create_key", path = "/v1/keys", tag = "keys", request_body = KeyBody,
    responses((status = 201, body = KeyReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 422, description = "bad role or label", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    req: HttpRequest,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, &[Role::Admin]).await?;
    let (idempotency, replayed) = idempotent(&req, &caller, &body, store).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let (role, label) = parse_request(&body)?;
    let key_id = Uuid::now_v7();
    let (event, key) = keys::issue(key_id, role, label.clone(), random_secret()?);
    let stream = keys::stream(key_id).map_err(ApiError::StreamId)?;
    let metadata = metadata::of(&req, &caller, &request_id);
    let new_event = event.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)?;
    let outcome = Outcome {
        appends: vec![AppendRequest { stream, expected: ExpectedVersion::NoStream, events: vec![new_event] }],
        status: StatusCode::CREATED,
        response: json!({ "id": key_id, "key": key, "role": role, "label": label }),
        primary: 0,
    };
    commit(store, idempotency.as_ref(), &metadata, outcome).await
}

#[utoipa::path(delete, operation_id = "revoke_key", path = "/v1/keys/{id}", tag = "keys", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = WriteReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown key", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let caller = authorize(&req, &state, &[Role::Admin]).await?;
    let unknown = || ApiError::NotFound { code: "unknown_key", detail: format!("no live key {}", path.as_str()) };
    let key_id = Uuid::try_parse(path.as_str()).map_err(|_| unknown())?;
    let key = load(state.store.as_ref(), key_id).await?;
    if !key.is_live() {
        return Err(unknown());
    }
    let stream = keys::stream(key_id).map_err(|_| unknown())?;
    let version = state.store.stream_version(&stream).await?;
    let event = keys::revoke(key_id)
        .to_new_event(EventId::now_v7(), metadata::of(&req, &caller, &request_id))
        .map_err(ApiError::Encode)?;
    let appended = state.store.append(stream, ExpectedVersion::Exact(version), vec![event]).await?;
    // This process refuses the key from the very next request; others when their tail sees it.
    state.live.invalidate_key(key_id, appended.position());
    Ok(HttpResponse::Ok().json(json!({
        "id": key_id,
        "revoked": true,
        "version": appended.stream_version(),
        "position": appended.position(),
    })))
}
