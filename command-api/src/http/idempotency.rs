//! `Idempotency-Key` on POST: a retry with the same key and the same request answers what the
//! first call answered and appends nothing; the same key with another request is refused.
//!
//! The first call appends an `IdempotentRequestRecorded` to `idempotency-<key id>:<hash of the
//! header>` in the same transaction as its own events, holding its status, its response (without
//! `version` and `position`, which are read back from its events) and its event ids. So the record
//! exists exactly when the request's effects do, even after a crash. Two concurrent calls with one
//! key race on that stream: one commits, the other finds the record and replays it. Keys are per
//! API key, so two clients cannot collide. A key's secret is never stored: replaying
//! `POST /v1/keys` returns the response without `key`.

use super::auth::Caller;
use super::ApiError;
use crate::keys::sha256_hex;
use crate::stream_state::fold;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use events::payloads::IdempotentRequestRecorded;
use events::{Category, DomainEvent, EventId, ExpectedVersion, Metadata, StreamId};
use infra::{AppendError, AppendRequest, AppendResult, EventStore, StoreError};
use serde_json::Value;

pub const HEADER: &str = "idempotency-key";

#[derive(Debug, Clone)]
pub struct Idempotency {
    stream: StreamId,
    request_sha256: String,
}

/// What a command produced: its appends, and its answer without `version` and `position`.
#[derive(Debug)]
pub struct Outcome {
    pub appends: Vec<AppendRequest>,
    pub status: StatusCode,
    pub response: Value,
    /// Which append's stream version the response's `version` is.
    pub primary: usize,
}

impl Idempotency {
    /// `None` when the request carries no `Idempotency-Key`.
    pub fn of(req: &HttpRequest, caller: &Caller, body: &Value) -> Result<Option<Self>, ApiError> {
        let Some(header) = req.headers().get(HEADER) else { return Ok(None) };
        let key = header
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| ApiError::BadRequest {
                code: "invalid_idempotency_key",
                detail: "Idempotency-Key is 1-255 visible ASCII characters".into(),
                field: "Idempotency-Key".into(),
            })?;
        let category = Category::parse("idempotency").map_err(|e| ApiError::StreamId(e.into()))?;
        let name = format!("{}:{}", caller.key_id.simple(), &sha256_hex(key)[..48]);
        let stream = StreamId::new(&category, name).map_err(ApiError::StreamId)?;
        let request = format!("{}\n{}\n{}", req.method(), req.path(), body);
        Ok(Some(Self { stream, request_sha256: sha256_hex(&request) }))
    }

    /// The first call's answer if this request was already carried out.
    pub async fn replay(&self, store: &dyn EventStore) -> Result<Option<HttpResponse>, ApiError> {
        let folded = fold(store, &self.stream, |found: Option<IdempotentRequestRecorded>, event, _| {
            if let DomainEvent::IdempotentRequestRecorded(record) = event {
                Some(record.clone())
            } else {
                found
            }
        })
        .await?;
        let Some(record) = folded.state else { return Ok(None) };
        if record.request_sha256 != self.request_sha256 {
            return Err(ApiError::Invalid(vec![crate::Violation::new(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this Idempotency-Key was used for another request",
            )]));
        }
        let mut response = record.response;
        if let (Some(primary), Some(last)) = (record.primary, record.events.last()) {
            let version = store.event_by_id(primary).await?.map_or(0, |e| e.stream_version);
            let position = store.event_by_id(*last).await?.map_or(0, |e| e.position);
            if let Some(object) = response.as_object_mut() {
                object.insert("version".into(), version.into());
                object.insert("position".into(), position.into());
            }
        }
        let status = StatusCode::from_u16(record.status).unwrap_or(StatusCode::OK);
        Ok(Some(HttpResponse::build(status).insert_header(("Idempotent-Replayed", "true")).json(response)))
    }

    fn record(&self, outcome: &Outcome, metadata: &Metadata) -> Result<AppendRequest, ApiError> {
        let events: Vec<EventId> = outcome.appends.iter().flat_map(|a| a.events.iter().map(|e| e.event_id)).collect();
        let primary = outcome.appends.get(outcome.primary).and_then(|a| a.events.last()).map(|e| e.event_id);
        let mut response = outcome.response.clone();
        if let Some(object) = response.as_object_mut() {
            // A key's secret is shown once and never stored.
            object.remove("key");
        }
        let record = DomainEvent::IdempotentRequestRecorded(IdempotentRequestRecorded {
            request_sha256: self.request_sha256.clone(),
            status: outcome.status.as_u16(),
            response,
            events,
            primary,
        });
        let event = record.to_new_event(EventId::now_v7(), metadata.clone()).map_err(ApiError::Encode)?;
        Ok(AppendRequest { stream: self.stream.clone(), expected: ExpectedVersion::NoStream, events: vec![event] })
    }
}

/// Appends `outcome` (with the idempotency record, if any) in one transaction and answers.
/// `response` gets `version` and `position` from the appends; with no appends it is sent as is.
pub async fn commit(
    store: &dyn EventStore,
    idempotency: Option<&Idempotency>,
    metadata: &Metadata,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    let record = idempotency.map(|idempotency| idempotency.record(&outcome, metadata)).transpose()?;
    let Outcome { mut appends, status, mut response, primary } = outcome;
    let own_appends = appends.len();
    appends.extend(record);
    let results = if appends.is_empty() {
        Vec::new()
    } else {
        match store.append_all(appends).await {
            Ok(results) => results,
            Err(error) => return lost_race(store, idempotency, error).await,
        }
    };
    let own: &[AppendResult] = &results[..own_appends.min(results.len())];
    if let (Some(primary), Some(object)) = (own.get(primary), response.as_object_mut()) {
        object.insert("version".into(), primary.stream_version().into());
        object.insert("position".into(), own.iter().map(AppendResult::position).max().unwrap_or(0).into());
    }
    Ok(HttpResponse::build(status).json(response))
}

/// A failed append. On the idempotency stream, the twin request won: answer what it answered. On
/// a slug stream, another item holds the slug. Anything else is the store's error as it is.
async fn lost_race(
    store: &dyn EventStore,
    idempotency: Option<&Idempotency>,
    error: StoreError,
) -> Result<HttpResponse, ApiError> {
    let StoreError::Append(AppendError::WrongExpectedVersion { stream, .. }) = &error else { return Err(error.into()) };
    if let Some(idempotency) = idempotency.filter(|i| &i.stream == stream) {
        if let Some(response) = idempotency.replay(store).await? {
            return Ok(response);
        }
    }
    if stream.category() == "slug" {
        return Err(ApiError::slug_taken());
    }
    Err(error.into())
}

/// The idempotency of a POST, and its earlier answer if it was already carried out.
pub(super) async fn idempotent(
    req: &HttpRequest,
    caller: &Caller,
    body: &Value,
    store: &dyn EventStore,
) -> Result<(Option<Idempotency>, Option<HttpResponse>), ApiError> {
    let idempotency = Idempotency::of(req, caller, body)?;
    let replayed = match &idempotency {
        Some(idempotency) => idempotency.replay(store).await?,
        None => None,
    };
    Ok((idempotency, replayed))
}
