//! `/healthz`: the process is up and serving HTTP. `/readyz`: every dependency of this process
//! answers (the event store, the read models with no projection halted, the bus: whichever the
//! role uses), so a load balancer may send traffic.

use super::problem::Problem;
use crate::EventStore;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use async_trait::async_trait;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// One dependency `/readyz` checks.
///
/// Rules: `check` answers quickly (one cheap round trip), never panics, and says what it saw:
/// `Ok` with a small JSON summary, or `Err` with a reason a human can act on. It must not
/// expose secrets (URLs with passwords, keys).
#[async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// The member of the `/readyz` body this check fills.
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<Value, String>;
}

/// The checks of this process, in the order they are reported.
#[derive(Clone, Default)]
pub struct Readiness(Vec<Arc<dyn ReadinessCheck>>);

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|c| c.name())).finish()
    }
}

impl Readiness {
    pub fn with(mut self, check: Arc<dyn ReadinessCheck>) -> Self {
        self.0.push(check);
        self
    }
}

/// The event store answers: its head position is read.
#[derive(Clone)]
pub struct EventStoreReady(pub Arc<dyn EventStore>);

impl std::fmt::Debug for EventStoreReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStoreReady")
    }
}

#[async_trait]
impl ReadinessCheck for EventStoreReady {
    fn name(&self) -> &'static str {
        "event_store"
    }

    async fn check(&self) -> Result<Value, String> {
        match self.0.head().await {
            Ok(head) => Ok(json!({ "head": head })),
            Err(error) => {
                tracing::warn!(error = %error, "readiness check: event store unreachable");
                Err("the event store does not answer".into())
            }
        }
    }
}

/// Mounts `/healthz` and `/readyz`. Expects `web::Data<Readiness>` in app data.
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
    responses((status = 200, description = "every dependency answers: `{\"status\": \"ready\", <check>: {...}}`"),
        (status = 503, description = "not ready: `detail` says which dependency and why", body = Problem, content_type = "application/problem+json")))]
async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let mut body = Map::new();
    body.insert("status".into(), json!("ready"));
    let mut failures = Vec::new();
    for check in &readiness.0 {
        match check.check().await {
            Ok(summary) => {
                body.insert(check.name().into(), summary);
            }
            Err(reason) => failures.push(format!("{}: {reason}", check.name())),
        }
    }
    if failures.is_empty() {
        HttpResponse::Ok().json(Value::Object(body))
    } else {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", failures.join("; ")).response()
    }
}
