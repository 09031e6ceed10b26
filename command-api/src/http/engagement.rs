//! `POST /v1/content/{type}/{id}/views|likes|shares|bookmarks` and
//! `DELETE /v1/content/{type}/{id}/likes|bookmarks`, with `{"user": "<site's user id>"}`.
//! Site keys only; the item must be published. See `crate::engagement` for the streams.

use super::auth::authorize;
use super::content::{item_id, load, Loaded};
use super::idempotency::idempotent;
use super::idempotency::{commit, Outcome};
#[allow(unused_imports)] // names used by the #[utoipa::path] attributes
use super::openapi::*;
use super::types::type_name;
use super::{metadata, ApiError, CommandState};
use crate::content::Status;
use crate::engagement::{self, Toggle, Toggles};
use crate::live::CachedItem;
use crate::stream_state::{fold, Folded};
use crate::violation::Violation;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use events::payloads::{ContentId, Engagement, Role};
use events::{EventId, ExpectedVersion, TypeName, UserId};
use infra::http::RequestId;
use infra::{AppendError, AppendRequest, StoreError};
use serde_json::{json, Value};

/// A lost race on a user's toggle is decided again against the new state this many times.
const TOGGLE_ATTEMPTS: usize = 5;

struct Target {
    name: TypeName,
    id: ContentId,
    user: UserId,
    channel: Option<String>,
}

fn parse_user(body: &Value, allow_channel: bool) -> Result<(UserId, Option<String>), ApiError> {
    let invalid = |path: &str, code, message: &str| ApiError::Invalid(vec![Violation::new(path, code, message)]);
    let object = body.as_object().ok_or_else(|| invalid("body", "wrong_kind", "expected {\"user\": \"...\"}"))?;
    let allowed: &[&str] = if allow_channel { &["user", "channel"] } else { &["user"] };
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(key, "unknown_member", &format!("allowed here: {}", allowed.join(", "))));
    }
    let user = object.get("user").and_then(Value::as_str).and_then(|u| UserId::parse(u).ok()).ok_or_else(|| {
        invalid("user", "invalid_user", "user is 1-128 characters among letters, digits and . _ : @ -")
    })?;
    let channel = match object.get("channel") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) if !c.is_empty() && c.chars().count() <= 100 && !c.chars().any(char::is_control) => {
            Some(c.clone())
        }
        Some(_) => return Err(invalid("channel", "invalid_channel", "channel is text of 1-100 characters")),
    };
    Ok((user, channel))
}

/// Authorizes a site key and finds the published item the user engages with.
async fn target(
    req: &HttpRequest,
    state: &CommandState,
    path: &(String, String),
    body: &Value,
    allow_channel: bool,
) -> Result<(super::auth::Caller, Target), ApiError> {
    let caller = authorize(req, state, &[Role::Site]).await?;
    let name = type_name(&path.0)?;
    let id = item_id(&path.1)?;
    let (user, channel) = parse_user(body, allow_channel)?;
    let item = match state.live.item(id) {
        Some(item) => item,
        None => {
            let read_at = state.store.head().await?;
            let Loaded { state: item, .. } = load(state.store.as_ref(), id).await?;
            let Some(content_type) = item.content_type else {
                return Err(ApiError::NotFound { code: "unknown_content", detail: format!("no {name} item {id}") });
            };
            let cached = CachedItem { content_type, status: item.status };
            state.live.fill_item(id, cached.clone(), read_at);
            cached
        }
    };
    if item.content_type != name {
        return Err(ApiError::NotFound { code: "unknown_content", detail: format!("no {name} item {id}") });
    }
    if item.status != Status::Published {
        return Err(ApiError::State { code: "not_published", detail: "only published items take engagement".into() });
    }
    Ok((caller, Target { name, id, user, channel }))
}

fn engagement_of(target: &Target) -> Engagement {
    Engagement { content_type: target.name.clone(), content_id: target.id, user: target.user.clone(), at: Utc::now() }
}

/// Views and shares: appended to the user's activity stream with no read and no conflict.
async fn record(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
    is_share: bool,
) -> Result<HttpResponse, ApiError> {
    let (caller, target) = target(&req, &state, &path, &body, is_share).await?;
    let (idempotency, replayed) = idempotent(&req, &caller, &body, state.store.as_ref()).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let event = if is_share {
        engagement::share(engagement_of(&target), target.channel.clone())
    } else {
        engagement::view(target.name.clone(), target.id, target.user.clone(), Utc::now())
    };
    let metadata = metadata::of(&req, &caller, &request_id);
    let new_event = event.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)?;
    let stream = engagement::activity_stream(&target.user).map_err(ApiError::StreamId)?;
    let outcome = Outcome {
        appends: vec![AppendRequest { stream, expected: ExpectedVersion::Any, events: vec![new_event] }],
        status: StatusCode::OK,
        response: json!({ "user": target.user, "id": target.id }),
        primary: 0,
    };
    commit(state.store.as_ref(), idempotency.as_ref(), &metadata, outcome).await
}

#[utoipa::path(post, operation_id = "record_view", path = "/v1/content/{type}/{id}/views", tag = "engagement", request_body = UserBody,
    params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = EngagementReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "not published", body = Problem, content_type = "application/problem+json"), (status = 422, description = "bad user", body = Problem, content_type = "application/problem+json")))]
pub async fn view(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    record(req, path, body, state, request_id, false).await
}

#[utoipa::path(post, operation_id = "record_share", path = "/v1/content/{type}/{id}/shares", tag = "engagement", request_body = UserBody,
    params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = EngagementReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "not published", body = Problem, content_type = "application/problem+json"), (status = 422, description = "bad user or channel", body = Problem, content_type = "application/problem+json")))]
pub async fn share(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    record(req, path, body, state, request_id, true).await
}

/// Likes and bookmarks: a decision over the user x item stream at its exact version.
async fn set(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
    toggle: Toggle,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let (caller, target) = target(&req, &state, &path, &body, false).await?;
    let store = state.store.as_ref();
    let (idempotency, replayed) = idempotent(&req, &caller, &body, store).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let stream = engagement::toggles_stream(target.id, &target.user).map_err(ApiError::StreamId)?;
    let metadata = metadata::of(&req, &caller, &request_id);
    for _ in 0..TOGGLE_ATTEMPTS {
        let Folded { state: toggles, version, position } =
            fold(store, &stream, |toggles: Toggles, event, _| engagement::evolve(toggles, event)).await?;
        let outcome = match engagement::decide_toggle(toggles, toggle, on, engagement_of(&target)) {
            None => Outcome {
                appends: Vec::new(),
                status: StatusCode::OK,
                response: answer(&target, toggle, on, false, Some((version, position))),
                primary: 0,
            },
            Some(event) => {
                let new_event = event.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)?;
                let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
                Outcome {
                    appends: vec![AppendRequest { stream: stream.clone(), expected, events: vec![new_event] }],
                    status: StatusCode::OK,
                    response: answer(&target, toggle, on, true, None),
                    primary: 0,
                }
            }
        };
        match commit(store, idempotency.as_ref(), &metadata, outcome).await {
            // Another call changed this user's toggle first: decide again on the new state.
            Err(ApiError::Store(StoreError::Append(AppendError::WrongExpectedVersion { stream: lost, .. })))
                if lost == stream =>
            {
                continue
            }
            other => return other,
        }
    }
    Err(ApiError::Store(StoreError::Contention { attempts: TOGGLE_ATTEMPTS }))
}

/// A toggle's answer; `version` and `position` given when nothing was appended.
fn answer(target: &Target, toggle: Toggle, on: bool, changed: bool, unchanged_at: Option<(u64, u64)>) -> Value {
    let name = match toggle {
        Toggle::Like => "liked",
        Toggle::Bookmark => "bookmarked",
    };
    let mut body = json!({ "user": target.user, "id": target.id, name: on, "changed": changed });
    if let (Some((version, position)), Some(object)) = (unchanged_at, body.as_object_mut()) {
        object.insert("version".into(), version.into());
        object.insert("position".into(), position.into());
    }
    body
}

macro_rules! toggle_route {
    ($name:ident, $toggle:expr, $on:expr, $method:ident, $path:literal) => {
        #[utoipa::path($method, operation_id = stringify!($name), path = $path, tag = "engagement", request_body = UserBody,
            params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
            responses((status = 200, body = EngagementReply),
                (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "not published", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "bad user", body = Problem, content_type = "application/problem+json")))]
        pub async fn $name(
            req: HttpRequest,
            path: web::Path<(String, String)>,
            body: web::Json<Value>,
            state: web::Data<CommandState>,
            request_id: RequestId,
        ) -> Result<HttpResponse, ApiError> {
            set(req, path, body, state, request_id, $toggle, $on).await
        }
    };
}

toggle_route!(like, Toggle::Like, true, post, "/v1/content/{type}/{id}/likes");
toggle_route!(unlike, Toggle::Like, false, delete, "/v1/content/{type}/{id}/likes");
toggle_route!(bookmark, Toggle::Bookmark, true, post, "/v1/content/{type}/{id}/bookmarks");
toggle_route!(unbookmark, Toggle::Bookmark, false, delete, "/v1/content/{type}/{id}/bookmarks");
