//! `PUT /v1/types/{type}` (admin: define, or revise compatibly; unchanged is a no-op) and
//! `GET /v1/types/{type}` (any key).

use super::auth::authorize;
#[allow(unused_imports)] // names used by the #[utoipa::path] attributes
use super::openapi::*;
use super::{metadata, ApiError, CommandState};
use crate::content_types::{decide_define, evolve, parse_definition, TypeState};
use crate::stream_state::{fold, Folded};
use actix_web::{web, HttpRequest, HttpResponse};
use events::payloads::Role;
use events::schema::FieldKind;
use events::{Category, DomainEvent, EventId, ExpectedVersion, StreamId, TypeName};
use infra::http::RequestId;
use infra::EventStore;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The stream of a content type: `type-<name>`.
pub fn stream(name: &TypeName) -> Result<StreamId, ApiError> {
    let category = Category::parse("type").map_err(|e| ApiError::BadRequest {
        code: "invalid_type_name",
        detail: e.to_string(),
        field: "type".into(),
    })?;
    StreamId::new(&category, name).map_err(|e| ApiError::BadRequest {
        code: "invalid_type_name",
        detail: e.to_string(),
        field: "type".into(),
    })
}

pub(super) fn type_name(path: &str) -> Result<TypeName, ApiError> {
    TypeName::parse(path).map_err(|e| ApiError::BadRequest {
        code: "invalid_type_name",
        detail: e.to_string(),
        field: "type".into(),
    })
}

/// A type's state, version and last position.
pub async fn load(store: &dyn EventStore, name: &TypeName) -> Result<Folded<TypeState>, ApiError> {
    Ok(fold(store, &stream(name)?, |state, event, _| evolve(state, event)).await?)
}

pub(super) fn if_match(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = req.headers().get("if-match") else { return Ok(None) };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest {
            code: "invalid_if_match",
            detail: "If-Match is a version in quotes, e.g. \"3\"".into(),
            field: "If-Match".into(),
        })
}

#[utoipa::path(put, operation_id = "define_type", path = "/v1/types/{type}", tag = "types", request_body = TypeDefinitionBody,
    params(("type" = String, Path, description = "type name")),
    responses((status = 201, body = TypeReply, description = "defined"), (status = 200, body = TypeReply, description = "revised, or unchanged"),
        (status = 400, description = "bad type name or If-Match", body = Problem, content_type = "application/problem+json"), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 409, description = "changed concurrently", body = Problem, content_type = "application/problem+json"), (status = 412, description = "stale If-Match", body = Problem, content_type = "application/problem+json"), (status = 413, description = "body too large", body = Problem, content_type = "application/problem+json"), (status = 415, description = "not JSON", body = Problem, content_type = "application/problem+json"), (status = 422, description = "rules broken", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
    state: web::Data<CommandState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let caller = authorize(&req, &state, &[Role::Admin]).await?;
    let name = type_name(&path)?;
    let definition = parse_definition(&body).map_err(ApiError::Invalid)?;
    let Folded { state: current, version, position } = load(state.store.as_ref(), &name).await?;
    if let Some(expected) = if_match(&req)? {
        if expected != version {
            return Err(ApiError::PreconditionFailed { expected, current: version });
        }
    }

    let mut known = HashSet::new();
    for field in &definition.fields {
        if let FieldKind::Reference { target } | FieldKind::References { target } = &field.kind {
            if state.store.stream_version(&stream(target)?).await? > 0 {
                known.insert(target.clone());
            }
        }
    }
    let decided =
        decide_define(&name, definition.clone(), &current, &|t| known.contains(t)).map_err(ApiError::Invalid)?;
    let Some(event) = decided else {
        return Ok(HttpResponse::Ok().json(body_of(&name, version, position, &definition)));
    };
    let created = matches!(event, DomainEvent::ContentTypeDefined(_));
    let new_event =
        event.to_new_event(EventId::now_v7(), metadata::of(&req, &caller, &request_id)).map_err(ApiError::Encode)?;
    let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
    let appended = state.store.append(stream(&name)?, expected, vec![new_event]).await?;
    let body = body_of(&name, appended.stream_version(), appended.position(), &definition);
    Ok(if created { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
}

#[utoipa::path(get, operation_id = "get_type", path = "/v1/types/{type}", tag = "types", params(("type" = String, Path)),
    responses((status = 200, body = TypeReply), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json"), (status = 404, description = "unknown type", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<CommandState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state, &Role::ALL).await?;
    let name = type_name(&path)?;
    let Folded { state: current, version, position } = load(state.store.as_ref(), &name).await?;
    let Some(definition) = current.definition else {
        return Err(ApiError::NotFound { code: "unknown_type", detail: format!("type {name:?} is not defined") });
    };
    Ok(HttpResponse::Ok().json(body_of(&name, version, position, &definition)))
}

fn body_of(name: &TypeName, version: u64, position: u64, definition: &events::schema::TypeDefinition) -> Value {
    json!({ "type": name, "version": version, "position": position, "definition": definition })
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    after: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/types?after=<type>&limit=<1-100>`: every defined type, by name.
#[utoipa::path(get, operation_id = "list_types", path = "/v1/types", tag = "types",
    params(("after" = Option<String>, Query), ("limit" = Option<u32>, Query, description = "1-100, default 100")),
    responses((status = 200, body = TypeList), (status = 400, description = "bad parameter", body = Problem, content_type = "application/problem+json"), (status = 401, description = "missing or invalid key", body = Problem, content_type = "application/problem+json"), (status = 403, description = "role may not do this", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    req: HttpRequest,
    query: Result<web::Query<ListQuery>, actix_web::Error>,
    state: web::Data<CommandState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state, &Role::ALL).await?;
    let query = query.map_err(|e| ApiError::BadRequest {
        code: "invalid_parameter",
        detail: format!("query parameters are after and limit: {e}"),
        field: "query".into(),
    })?;
    let limit = match query.limit.as_deref() {
        None => 100,
        Some(text) => {
            text.parse::<usize>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| ApiError::BadRequest {
                code: "invalid_limit",
                detail: "limit is a whole number from 1 to 100".into(),
                field: "limit".into(),
            })?
        }
    };
    let after = query.after.as_deref().map(type_name).transpose()?.map(|name| stream(&name)).transpose()?;
    let category = Category::parse("type").map_err(|e| ApiError::StreamId(e.into()))?;
    let streams = state.store.list_streams(&category, after.as_ref(), limit).await?;
    let mut data = Vec::with_capacity(streams.len());
    for stream in &streams {
        let folded = fold(state.store.as_ref(), stream, |state, event, _| evolve(state, event)).await?;
        if let (Some(definition), Ok(name)) = (folded.state.definition, TypeName::parse(stream.id())) {
            data.push(body_of(&name, folded.version, folded.position, &definition));
        }
    }
    let next = (streams.len() == limit).then(|| streams.last().map(|s| s.id().to_owned())).flatten();
    Ok(HttpResponse::Ok().json(json!({ "data": data, "next": next })))
}
