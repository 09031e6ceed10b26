//! `POST /v1/content/{type}`, `PATCH /v1/content/{type}/{id}` and the lifecycle actions
//! `POST /v1/content/{type}/{id}/publish|unpublish|schedule|archive`. Editors act on every item;
//! authors only on the items their key created.

use super::auth::{authorize, Caller};
use super::idempotency::{commit, idempotent, Outcome};
#[allow(unused_imports)] // names used by the #[utoipa::path] attributes
use super::openapi::*;
use super::references::resolve;
use super::types::{load as load_type, type_name};
use super::{metadata, ApiError, CommandState};
use crate::content::{self, content_stream, slug_stream, ContentError, ContentState, SlugState};
use crate::stream_state::{fold, Folded};
use crate::violation::Violation;
use actix_web::http::header::{HeaderValue, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use events::payloads::{ContentId, Role, SlugClaimed, SlugReleased};
use events::schema::TypeDefinition;
use events::{DomainEvent, EventId, ExpectedVersion, Metadata, Slug, StreamId, TypeName};
use infra::http::RequestId;
use infra::{AppendRequest, EventStore};
use serde_json::{json, Map, Value};
use uuid::Uuid;

const WRITERS: &[Role] = &[Role::Editor, Role::Author];

impl From<ContentError> for ApiError {
    fn from(error: ContentError) -> Self {
        match error {
            ContentError::NotFound => ApiError::NotFound { code: "unknown_content", detail: "no such item".into() },
            ContentError::Archived => ApiError::State { code: "archived", detail: "the item is archived".into() },
            ContentError::AlreadyPublished => ApiError::State {
                code: "already_published",
                detail: "the item is published; unpublish it before scheduling".into(),
            },
            ContentError::Invalid(violations) => ApiError::Invalid(violations),
        }
    }
}

/// An item with its stream version and the position of its last event.
pub(super) type Loaded = Folded<ContentState>;

pub(super) async fn load(store: &dyn EventStore, id: ContentId) -> Result<Loaded, ApiError> {
    let stream = content_stream(id).map_err(ApiError::StreamId)?;
    Ok(fold(store, &stream, |state, event, recorded| content::evolve(state, event, recorded.metadata.actor.as_deref()))
        .await?)
}

async fn load_slug(store: &dyn EventStore, stream: &StreamId) -> Result<(SlugState, u64), ApiError> {
    let folded = fold(store, stream, |state, event, _| content::evolve_slug(state, event)).await?;
    Ok((folded.state, folded.version))
}

fn expected(version: u64) -> ExpectedVersion {
    if version == 0 {
        ExpectedVersion::NoStream
    } else {
        ExpectedVersion::Exact(version)
    }
}

pub(super) async fn definition(store: &dyn EventStore, name: &TypeName) -> Result<TypeDefinition, ApiError> {
    load_type(store, name)
        .await?
        .state
        .definition
        .ok_or_else(|| ApiError::NotFound { code: "unknown_type", detail: format!("type {name:?} is not defined") })
}

pub(super) fn item_id(text: &str) -> Result<ContentId, ApiError> {
    Uuid::try_parse(text)
        .map(ContentId)
        .map_err(|_| ApiError::NotFound { code: "unknown_content", detail: format!("no item {text:?}") })
}

/// The item at `/{type}/{id}`, checked to exist, to be of that type, and to be the caller's
/// own if the caller is an author.
async fn load_for(store: &dyn EventStore, caller: &Caller, name: &TypeName, id: ContentId) -> Result<Loaded, ApiError> {
    let loaded = load(store, id).await?;
    if loaded.state.content_type.as_ref() != Some(name) {
        return Err(ContentError::NotFound.into());
    }
    if caller.role == Role::Author && loaded.state.owner.as_deref() != Some(caller.actor().as_str()) {
        return Err(ApiError::Forbidden { role: caller.role });
    }
    Ok(loaded)
}

fn parse_body(body: &Value, allowed: &[&str]) -> Result<(Map<String, Value>, Option<Slug>), ApiError> {
    let invalid = |path: &str, code, message: &str| ApiError::Invalid(vec![Violation::new(path, code, message)]);
    let object = body.as_object().ok_or_else(|| invalid("body", "wrong_kind", "expected a JSON object"))?;
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(key, "unknown_member", &format!("allowed here: {}", allowed.join(", "))));
    }
    let fields = match object.get("fields") {
        None => Map::new(),
        Some(Value::Object(fields)) => fields.clone(),
        Some(_) => return Err(invalid("fields", "wrong_kind", "fields is an object of field name to value")),
    };
    let slug = match object.get("slug") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            Some(Slug::parse(text.as_str()).map_err(|e| invalid("slug", "invalid_slug", &e.to_string()))?)
        }
        Some(_) => return Err(invalid("slug", "invalid_slug", "a slug is a string")),
    };
    Ok((fields, slug))
}

fn new_event(event: &DomainEvent, metadata: &Metadata) -> Result<events::NewEvent, ApiError> {
    event.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)
}

fn claim(name: &TypeName, slug: &Slug, id: ContentId) -> DomainEvent {
    DomainEvent::SlugClaimed(SlugClaimed { content_type: name.clone(), slug: slug.clone(), content_id: id })
}

/// What every content write answers, less `version` and `position`.
fn summary(name: &TypeName, id: ContentId, state: &ContentState) -> Value {
    json!({ "id": id, "type": name, "slug": state.slug, "status": state.status })
}

fn reply(name: &TypeName, id: ContentId, state: &ContentState, version: u64, position: u64) -> Value {
    let mut body = summary(name, id, state);
    if let Some(object) = body.as_object_mut() {
        object.insert("version".into(), version.into());
        object.insert("position".into(), position.into());
    }
    body
}

fn if_match(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    super::types::if_match(req)
}

fn check_version(req: &HttpRequest, current: u64, required: bool) -> Result<(), ApiError> {
    match if_match(req)? {
        Some(expected) if expected != current => Err(ApiError::PreconditionFailed { expected, current }),
        Some(_) => Ok(()),
        None if required => Err(ApiError::PreconditionRequired),
        None => Ok(()),
    }
}

#[utoipa::path(post, operation_id = "create_content", path = "/v1/content/{type}", tag = "content", request_body = ContentBody, params(("type" = String, Path)),
    responses((status = 201, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown type", body = Problem, content_type = "application/problem+json"), (status = 409, description = "slug taken", body = Problem, content_type = "application/problem+json"), (status = 422, description = "rules broken", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, WRITERS).await?;
    let (idempotency, replayed) = idempotent(&req, &caller, &body, store).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let name = type_name(&path)?;
    let definition = definition(store, &name).await?;
    let (fields, slug) = parse_body(&body, &["fields", "slug"])?;
    let id = ContentId(Uuid::now_v7());
    let create = content::decide_create(&name, &definition, id, fields, slug)?;
    resolve(store, &create.references, id).await?;
    let slug_stream = slug_stream(&name, &create.slug).map_err(ApiError::StreamId)?;
    let (holder, slug_version) = load_slug(store, &slug_stream).await?;
    if holder.holder.is_some() {
        return Err(ApiError::slug_taken());
    }
    let metadata = metadata::of(&req, &caller, &request_id);
    let state = content::evolve(ContentState::default(), &create.event, metadata.actor.as_deref());
    let outcome = Outcome {
        appends: vec![
            AppendRequest {
                stream: content_stream(id).map_err(ApiError::StreamId)?,
                expected: ExpectedVersion::NoStream,
                events: vec![new_event(&create.event, &metadata)?],
            },
            AppendRequest {
                stream: slug_stream,
                expected: expected(slug_version),
                events: vec![new_event(&claim(&name, &create.slug, id), &metadata)?],
            },
        ],
        status: StatusCode::CREATED,
        response: summary(&name, id, &state),
        primary: 0,
    };
    let mut response = commit(store, idempotency.as_ref(), &metadata, outcome).await?;
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/content/{name}/{id}")) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(patch, operation_id = "revise_content", path = "/v1/content/{type}/{id}", tag = "content", request_body = ContentBody,
    params(("type" = String, Path), ("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "\"<version>\"")),
    responses((status = 200, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "archived, slug taken or changed concurrently", body = Problem, content_type = "application/problem+json"), (status = 412, description = "stale If-Match", body = Problem, content_type = "application/problem+json"), (status = 422, description = "rules broken", body = Problem, content_type = "application/problem+json"), (status = 428, description = "If-Match required", body = Problem, content_type = "application/problem+json")))]
pub async fn revise(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, WRITERS).await?;
    let name = type_name(&path.0)?;
    let id = item_id(&path.1)?;
    let loaded = load_for(store, &caller, &name, id).await?;
    check_version(&req, loaded.version, true)?;
    let definition = definition(store, &name).await?;
    let (fields, slug) = parse_body(&body, &["fields", "slug"])?;
    let Some(revise) = content::decide_revise(&loaded.state, &definition, id, fields, slug)? else {
        return Ok(HttpResponse::Ok().json(reply(&name, id, &loaded.state, loaded.version, loaded.position)));
    };
    resolve(store, &revise.references, id).await?;
    let metadata = metadata::of(&req, &caller, &request_id);
    let mut appends = vec![AppendRequest {
        stream: content_stream(id).map_err(ApiError::StreamId)?,
        expected: ExpectedVersion::Exact(loaded.version),
        events: vec![new_event(&revise.event, &metadata)?],
    }];
    if let Some((old, new)) = &revise.slug_change {
        let new_stream = slug_stream(&name, new).map_err(ApiError::StreamId)?;
        let (holder, new_version) = load_slug(store, &new_stream).await?;
        if holder.holder.is_some_and(|h| h != id) {
            return Err(ApiError::slug_taken());
        }
        let old_stream = slug_stream(&name, old).map_err(ApiError::StreamId)?;
        let old_version = store.stream_version(&old_stream).await?;
        let release =
            DomainEvent::SlugReleased(SlugReleased { content_type: name.clone(), slug: old.clone(), content_id: id });
        appends.push(AppendRequest {
            stream: new_stream,
            expected: expected(new_version),
            events: vec![new_event(&claim(&name, new, id), &metadata)?],
        });
        appends.push(AppendRequest {
            stream: old_stream,
            expected: expected(old_version),
            events: vec![new_event(&release, &metadata)?],
        });
    }
    let state = content::evolve(loaded.state, &revise.event, None);
    let outcome = Outcome { appends, status: StatusCode::OK, response: summary(&name, id, &state), primary: 0 };
    commit(store, None, &metadata, outcome).await
}

/// The lifecycle actions differ only in their decision.
async fn act(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: &Value,
    state: web::Data<CommandState>,
    request_id: RequestId,
    decide: impl FnOnce(&ContentState, ContentId) -> Result<Option<DomainEvent>, ContentError>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.as_ref();
    let caller = authorize(&req, &state, WRITERS).await?;
    let (idempotency, replayed) = idempotent(&req, &caller, body, store).await?;
    if let Some(response) = replayed {
        return Ok(response);
    }
    let name = type_name(&path.0)?;
    let id = item_id(&path.1)?;
    let loaded = load_for(store, &caller, &name, id).await?;
    check_version(&req, loaded.version, false)?;
    let metadata = metadata::of(&req, &caller, &request_id);
    let outcome = match decide(&loaded.state, id)? {
        None => Outcome {
            appends: Vec::new(),
            status: StatusCode::OK,
            response: reply(&name, id, &loaded.state, loaded.version, loaded.position),
            primary: 0,
        },
        Some(event) => Outcome {
            appends: vec![AppendRequest {
                stream: content_stream(id).map_err(ApiError::StreamId)?,
                expected: ExpectedVersion::Exact(loaded.version),
                events: vec![new_event(&event, &metadata)?],
            }],
            status: StatusCode::OK,
            response: summary(&name, id, &content::evolve(loaded.state, &event, None)),
            primary: 0,
        },
    };
    let changed = !outcome.appends.is_empty();
    let response = commit(store, idempotency.as_ref(), &metadata, outcome).await?;
    if changed {
        // Engagement in this process sees the new status from the very next request.
        state.live.invalidate_item(id, store.head().await?);
    }
    Ok(response)
}

#[utoipa::path(post, operation_id = "publish_content", path = "/v1/content/{type}/{id}/publish", tag = "content", params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "archived", body = Problem, content_type = "application/problem+json")))]
pub async fn publish(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    act(req, path, &Value::Null, state, request_id, |s, id| content::decide_publish(s, id, now)).await
}

#[utoipa::path(post, operation_id = "unpublish_content", path = "/v1/content/{type}/{id}/unpublish", tag = "content", params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "archived", body = Problem, content_type = "application/problem+json")))]
pub async fn unpublish(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    act(req, path, &Value::Null, state, request_id, content::decide_unpublish).await
}

#[utoipa::path(post, operation_id = "archive_content", path = "/v1/content/{type}/{id}/archive", tag = "content", params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json")))]
pub async fn archive(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    act(req, path, &Value::Null, state, request_id, content::decide_archive).await
}

#[utoipa::path(post, operation_id = "schedule_content", path = "/v1/content/{type}/{id}/schedule", tag = "content", request_body = ScheduleBody,
    params(("type" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ContentReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown item", body = Problem, content_type = "application/problem+json"), (status = 409, description = "archived or published", body = Problem, content_type = "application/problem+json"), (status = 422, description = "in the past", body = Problem, content_type = "application/problem+json")))]
pub async fn schedule(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let invalid = |code, message: &str| ApiError::Invalid(vec![Violation::new("publish_at", code, message)]);
    let object = body.as_object().ok_or_else(|| invalid("wrong_kind", "expected {\"publish_at\": \"<RFC 3339>\"}"))?;
    if let Some(key) = object.keys().find(|k| k.as_str() != "publish_at") {
        return Err(ApiError::Invalid(vec![Violation::new(key, "unknown_member", "only publish_at is allowed")]));
    }
    let at = object
        .get("publish_at")
        .and_then(Value::as_str)
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|v| v.with_timezone(&Utc))
        .ok_or_else(|| invalid("wrong_kind", "publish_at is an RFC 3339 date-time such as 2030-01-01T09:00:00Z"))?;
    let now = Utc::now();
    act(req, path, &body, state, request_id, |s, id| content::decide_schedule(s, id, at, now)).await
}
