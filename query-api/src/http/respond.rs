//! The path every read takes: who is asking, `Folio-Min-Position`, the cache, then the
//! database; and the response headers (ETag, 304, Cache-Control).

use crate::cache::{Cached, Dep};
use crate::error::{BadInput, QueryError};
use crate::keys::Caller;
use crate::state::{Freshness, QueryState};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use events::Position;
use std::future::Future;
use std::sync::Arc;

pub const MIN_POSITION: &str = "folio-min-position";

/// The projections each kind of read depends on.
pub const CONTENT: &[&str] = &["content", "engagement"];
pub const COMMENTS: &[&str] = &["content", "comments"];
pub const USERS: &[&str] = &["content", "engagement"];

/// A read under way: who asks, and how fresh the answer must be.
#[derive(Debug)]
pub struct Read {
    pub caller: Caller,
    pub freshness: Freshness,
}

/// Starts a read. `Folio-Min-Position` is waited for first, so that everything the read looks
/// up — the caller's key, the type's definition, the rows — is at least that fresh: a key or a
/// type written just before the read is known to it.
pub async fn begin(state: &QueryState, req: &HttpRequest, projections: &[&str]) -> Result<Read, QueryError> {
    let freshness = match min_position(req)? {
        Some(wanted) if req.headers().contains_key(header::AUTHORIZATION) => {
            // The key itself comes from the `keys` projection.
            let with_keys: Vec<&str> = projections.iter().copied().chain(["keys"]).collect();
            state.reach(&with_keys, wanted).await?
        }
        Some(wanted) => state.reach(projections, wanted).await?,
        None => Freshness::Notified,
    };
    Ok(Read { caller: caller(state, req, freshness).await?, freshness })
}

async fn caller(state: &QueryState, req: &HttpRequest, freshness: Freshness) -> Result<Caller, QueryError> {
    let authorization = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => Some(value.to_str().map_err(|_| QueryError::Unauthorized("invalid_credentials"))?),
        None => None,
    };
    state.keys.caller(&state.db, authorization, freshness).await
}

fn min_position(req: &HttpRequest) -> Result<Option<Position>, BadInput> {
    let Some(value) = req.headers().get(MIN_POSITION) else { return Ok(None) };
    let invalid = || BadInput::new("invalid_min_position", "Folio-Min-Position", "a position is a whole number");
    let text = value.to_str().map_err(|_| invalid())?;
    text.trim().parse::<Position>().map(Some).map_err(|_| invalid())
}

/// The normalised request: the audience, the path and the sorted query pairs.
pub fn cache_key(caller: &Caller, req: &HttpRequest) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.sort();
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{:?}|{}?{query}", caller.audience(), req.path())
}

/// Serves a read: from the cache when it is current, else from `build`, which returns the body
/// and what it depends on.
pub async fn serve<F, Fut>(
    state: &QueryState,
    req: &HttpRequest,
    read: &Read,
    build: F,
) -> Result<HttpResponse, QueryError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(String, Vec<Dep>), QueryError>>,
{
    let caller = &read.caller;
    let use_cache = state.cache.enabled() && read.freshness == Freshness::Notified;
    // Normalising the request is work only a cache lookup needs.
    let key = use_cache.then(|| cache_key(caller, req));
    if let Some(key) = &key {
        if let Some(cached) = state.cache.get(key) {
            return Ok(respond(state, req, caller, &cached, "hit"));
        }
    }
    let ticket = state.cache.ticket();
    let (body, deps) = build().await?;
    let cached = Arc::new(Cached { etag: etag_of(&body), body: body.into() });
    if let Some(key) = key {
        state.cache.insert(key, cached.clone(), deps, ticket);
    }
    // `bypass`: the cache is off, or the read could not trust it (its notices not yet applied).
    Ok(respond(state, req, caller, &cached, if use_cache { "miss" } else { "bypass" }))
}

/// A strong validator of the body: its 128-bit XXH3 and its length. XXH3 is a specified
/// algorithm, so every replica and every build computes the same tag (std's `DefaultHasher` may
/// change between Rust releases), and it is fast per byte: hashing list pages twice with SipHash
/// was ~3% of an uncached list's CPU. Not a digest against an adversary; an ETag needs none.
fn etag_of(body: &str) -> String {
    let hash = xxhash_rust::xxh3::xxh3_128(body.as_bytes());
    format!("\"{hash:032x}-{:x}\"", body.len())
}

fn respond(
    state: &QueryState,
    req: &HttpRequest,
    caller: &Caller,
    cached: &Cached,
    cache: &'static str,
) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == cached.etag || t.trim() == "*"));
    let mut response = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().content_type("application/json").body(cached.body.clone())
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&cached.etag) {
        headers.insert(header::ETAG, etag);
    }
    let control = match caller.role {
        None => format!("public, max-age={}", state.config.cache_max_age),
        Some(_) => "private, no-cache".to_owned(),
    };
    if let Ok(control) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, control);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
    headers.insert(header::HeaderName::from_static("folio-cache"), HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::etag_of;

    #[test]
    fn the_etag_is_a_strong_tag_fixed_by_the_body_alone() {
        let tag = etag_of(r#"{"data":[]}"#);
        assert!(tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"), "{tag}");
        assert_eq!(tag, etag_of(r#"{"data":[]}"#));
        assert_ne!(tag, etag_of(r#"{"data":[1]}"#));
        // XXH3-128 is specified: this value must not change with the build, or replicas would
        // disagree on every If-None-Match.
        assert_eq!(etag_of(""), "\"99aa06d3014798d86001c324468d497f-0\"");
    }
}
