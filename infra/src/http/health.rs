//! `/healthz`: the process is up and serving HTTP. `/readyz`: its dependencies answer (today the
//! event store: its head position is read), so a load balancer may send traffic.

use super::problem::Problem;
use crate::EventStore;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::sync::Arc;

/// Mounts `/healthz` and `/readyz`. Expects `web::Data<Arc<dyn EventStore>>` in app data.
pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

/// The health endpoints' part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(healthz, readyz))]
pub struct HealthDoc;

#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "the process serves HTTP")))]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "the event store answers"),
        (status = 503, description = "not ready", body = Problem, content_type = "application/problem+json")))]
async fn readyz(store: web::Data<Arc<dyn EventStore>>) -> HttpResponse {
    match store.head().await {
        Ok(head) => HttpResponse::Ok().json(json!({ "status": "ready", "event_store": { "head": head } })),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check: event store unreachable");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the event store does not answer").response()
        }
    }
}
