//! `POST /v1/content/{type}/{id}/comments` (site, for its user), `PATCH /v1/comments/{id}` (site,
//! the author only) and `DELETE /v1/comments/{id}` (site for the author, or a moderator).

use super::auth::authorize;
use super::content::{item_id, load};
use super::idempotency::idempotent;
use super::idempotency::{commit, Outcome};
#[allow(unused_imports)] // names used by the #[utoipa::path] attributes
use super::openapi::*;
use super::types::type_name;
use super::{metadata, ApiError, CommandState};
use crate::comments::{self, CommentError, CommentState};
use crate::content::Status;
use crate::stream_state::fold;
use crate::violation::Violation;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use events::payloads::{CommentId, Role};
use events::{DomainEvent, EventId, ExpectedVersion, UserId};
use infra::http::RequestId;
use infra::{AppendRequest, EventStore};
use serde_json::{json, Map, Value};
use uuid::Uuid;

impl From<CommentError> for ApiError {
    fn from(error: CommentError) -> Self {
        match error {
            CommentError::NotFound => ApiError::NotFound { code: "unknown_comment", detail: "no such comment".into() },
            CommentError::Removed => {
                ApiError::State { code: "comment_removed", detail: "the comment was removed".into() }
            }
            CommentError::NotAuthor => ApiError::NotAuthor,
            CommentError::Invalid(violations) => ApiError::Invalid(violations),
        }
    }
}

fn invalid(path: &str, code: &'static str, message: &str) -> ApiError {
    ApiError::Invalid(vec![Violation::new(path, code, message)])
}

fn object<'a>(body: &'a Value, allowed: &[&str]) -> Result<&'a Map<String, Value>, ApiError> {
    let object = body.as_object().ok_or_else(|| invalid("body", "wrong_kind", "expected a JSON object"))?;
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(key, "unknown_member", &format!("allowed here: {}", allowed.join(", "))));
    }
    Ok(object)
}

fn user(object: &Map<String, Value>) -> Result<UserId, ApiError> {
    object
        .get("user")
        .and_then(Value::as_str)
        .and_then(|u| UserId::parse(u).ok())
        .ok_or_else(|| invalid("user", "invalid_user", "user is 1-128 characters among letters, digits and . _ : @ -"))
}

fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(name, "wrong_kind", "expected a string")),
    }
}

/// A comment's state, stream version, and the position of its last event.
async fn load_comment(store: &dyn EventStore, id: CommentId) -> Result<(CommentState, u64, u64), ApiError> {
    let stream = comments::stream(id).map_err(ApiError::StreamId)?;
    let folded = fold(store, &stream, |state: CommentState, event, _| comments::evolve(state, event)).await?;
    Ok((folded.state, folded.version, folded.position))
}

fn comment_id(text: &str) -> Result<CommentId, ApiError> {
    Uuid::try_parse(text)
        .map(CommentId)
        .map_err(|_| ApiError::NotFound { code: "unknown_comment", detail: format!("no comment {text:?}") })
}

#[utoipa::path(post, operation_id = "post_comment", path = "/v1/content/{type}/{id}/comments", tag = "comments", request_body = CommentBody,
    params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 201, body = WriteReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "not published", body = Problem, content_type = "application/problem+json"), (status = 422, description = "rules broken", body = Problem, content_type = "application/problem+json")))]
pub async fn post(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, &[Role::Site]).await?;
    let (idempotency, replayed) = idempotent(&req, &caller, &body, store).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let name = type_name(&path.0)?;
    let content_id = item_id(&path.1)?;
    let object = object(&body, &["user", "body", "parent_id"])?;
    let author = user(object)?;
    let text_body = text(object, "body")?.ok_or_else(|| invalid("body", "required", "a comment has a body"))?;
    let item = load(store, content_id).await?.state;
    if item.content_type.as_ref() != Some(&name) {
        return Err(ApiError::NotFound { code: "unknown_content", detail: format!("no {name} item {content_id}") });
    }
    if item.status != Status::Published {
        return Err(ApiError::State {
            code: "not_published",
            detail: "comments are only taken on published items".into(),
        });
    }
    let parent = match text(object, "parent_id")? {
        None => None,
        Some(parent) => {
            let parent_id = Uuid::try_parse(&parent)
                .map(CommentId)
                .map_err(|_| invalid("parent_id", "unknown_parent", "parent_id is a comment id"))?;
            Some((parent_id, load_comment(store, parent_id).await?.0))
        }
    };
    let id = CommentId(Uuid::now_v7());
    let event = comments::decide_post(id, name, content_id, parent.as_ref().map(|(i, s)| (*i, s)), author, text_body)?;
    let metadata = metadata::of(&req, &caller, &request_id);
    let new_event = event.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)?;
    let outcome = Outcome {
        appends: vec![AppendRequest {
            stream: comments::stream(id).map_err(ApiError::StreamId)?,
            expected: ExpectedVersion::NoStream,
            events: vec![new_event],
        }],
        status: StatusCode::CREATED,
        response: json!({ "id": id }),
        primary: 0,
    };
    commit(store, idempotency.as_ref(), &metadata, outcome).await
}

fn reply(id: CommentId, version: u64, position: u64) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": id, "version": version, "position": position }))
}

async fn append(
    store: &dyn EventStore,
    req: &HttpRequest,
    caller: &super::auth::Caller,
    request_id: &RequestId,
    id: CommentId,
    version: u64,
    event: DomainEvent,
) -> Result<HttpResponse, ApiError> {
    let new_event =
        event.to_new_event(EventId::now_v7(), metadata::of(req, caller, request_id)).map_err(ApiError::Encode)?;
    let stream = comments::stream(id).map_err(ApiError::StreamId)?;
    let appended = store.append(stream, ExpectedVersion::Exact(version), vec![new_event]).await?;
    Ok(reply(id, appended.stream_version(), appended.position()))
}

#[utoipa::path(patch, operation_id = "edit_comment", path = "/v1/comments/{id}", tag = "comments", request_body = CommentBody, params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = WriteReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown comment", body = Problem, content_type = "application/problem+json"), (status = 409, description = "removed", body = Problem, content_type = "application/problem+json"), (status = 422, description = "rules broken", body = Problem, content_type = "application/problem+json")))]
pub async fn edit(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, &[Role::Site]).await?;
    let id = comment_id(&path)?;
    let object = object(&body, &["user", "body"])?;
    let by = user(object)?;
    let new_body = text(object, "body")?.ok_or_else(|| invalid("body", "required", "a comment has a body"))?;
    let (comment, version, position) = load_comment(store, id).await?;
    match comments::decide_edit(&comment, &by, new_body)? {
        None => Ok(reply(id, version, position)),
        Some(event) => append(store, &req, &caller, &request_id, id, version, event).await,
    }
}

/// The body is optional here: `{"user": ...}` from a site, `{"reason": ...}` from a moderator.
#[utoipa::path(delete, operation_id = "remove_comment", path = "/v1/comments/{id}", tag = "comments", request_body = CommentRemoval, params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = WriteReply), (status = 400, description = "malformed JSON", body = Problem, content_type = "application/problem+json"), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown comment", body = Problem, content_type = "application/problem+json")))]
pub async fn remove(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, &[Role::Site, Role::Moderator]).await?;
    let id = comment_id(&path)?;
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            code: "malformed_json",
            detail: format!("the body is not valid JSON: {e}"),
            field: "body".into(),
        })?
    };
    let object = object(&body, &["user", "reason"])?;
    let by = match caller.role {
        Role::Moderator => None,
        Role::Site | Role::Admin | Role::Editor | Role::Author => Some(user(object)?),
    };
    let reason = text(object, "reason")?;
    let (comment, version, position) = load_comment(store, id).await?;
    match comments::decide_remove(&comment, by.as_ref(), reason)? {
        None => Ok(reply(id, version, position)),
        Some(event) => append(store, &req, &caller, &request_id, id, version, event).await,
    }
}
