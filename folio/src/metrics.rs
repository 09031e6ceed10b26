//! `/metrics` in the Prometheus text format, on every role that serves HTTP.
//!
//! Counters and histograms are recorded where things happen (HTTP latency by route in
//! `infra::http::metrics`, appends and group-commit sizes in the event store). Lag is measured
//! when scraped, from the checkpoints and the store's head, so it is never stale; so are the
//! query cache's figures.

use crate::projections;
use actix_web::{web, HttpResponse};
use infra::EventStore;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use projectors::ReadStore;
use query_api::QueryState;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// Latency buckets (seconds): 100 µs to 10 s.
const BUCKETS: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0];

/// Size buckets for histograms that count things per occurrence (events per group commit,
/// reads per gathered statement): 1 to 1024.
const SIZES: [f64; 11] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];

/// The histograms measured in [`SIZES`] rather than seconds.
const SIZED: [&str; 3] = ["folio_group_commit_events", "folio_group_commit_appends", "folio_read_gathered_reads"];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use (a process has one global recorder; tests
/// start several apps in one process and share it).
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
            for name in SIZED {
                builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), &SIZES).ok()?;
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

/// What `/metrics` reads when scraped.
#[derive(Clone)]
pub struct Exporter {
    pub store: Option<Arc<dyn EventStore>>,
    pub read: Option<ReadStore>,
    pub query: Option<web::Data<QueryState>>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").finish_non_exhaustive()
    }
}

/// The `/metrics` part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(render))]
pub struct MetricsDoc;

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(render));
}

#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format: `folio_http_request_duration_seconds` by method, route and status; `folio_appended_events_total`; `folio_group_commit_events` and `_appends`; `folio_projection_position`, `_lag_events`, `_lag_seconds`, `_parked_events` by projection (the relay included); `folio_event_store_head`; `folio_query_cache_hits_total`, `_misses_total`, `_entries`, `_bytes`; `folio_read_db_wait_seconds` and `_query_seconds` by pool; `folio_read_gathered_reads` (reads per statement on PostgreSQL)", content_type = "text/plain")))]
async fn render(exporter: web::Data<Exporter>) -> HttpResponse {
    let Some(handle) = handle() else {
        return HttpResponse::ServiceUnavailable().body("no metrics recorder in this process");
    };
    match (&exporter.store, &exporter.read) {
        (Some(store), Some(read)) => match projections::status(store.as_ref(), read, chrono::Utc::now()).await {
            Ok(rows) => {
                for row in rows {
                    let name = row.name.clone();
                    metrics::gauge!("folio_projection_position", "projection" => name.clone()).set(row.position as f64);
                    metrics::gauge!("folio_projection_lag_events", "projection" => name.clone())
                        .set(row.lag_events as f64);
                    metrics::gauge!("folio_projection_lag_seconds", "projection" => name.clone()).set(row.lag_seconds);
                    metrics::gauge!("folio_projection_parked_events", "projection" => name).set(row.parked as f64);
                }
            }
            Err(error) => {
                tracing::warn!(error = %crate::error::Report(&error), "metrics: projection status unavailable")
            }
        },
        (None, Some(read)) => match read.checkpoints().await {
            Ok(rows) => {
                for row in rows {
                    metrics::gauge!("folio_projection_position", "projection" => row.projection)
                        .set(row.position as f64);
                }
            }
            Err(error) => tracing::warn!(%error, "metrics: checkpoints unavailable"),
        },
        (Some(_), None) | (None, None) => {}
    }
    if let Some(store) = &exporter.store {
        if let Ok(head) = store.head().await {
            metrics::gauge!("folio_event_store_head").set(head as f64);
        }
    }
    if let Some(query) = &exporter.query {
        let cache = &query.cache;
        metrics::counter!("folio_query_cache_hits_total").absolute(cache.hits.load(Ordering::Relaxed));
        metrics::counter!("folio_query_cache_misses_total").absolute(cache.misses.load(Ordering::Relaxed));
        let (entries, bytes) = cache.stats();
        metrics::gauge!("folio_query_cache_entries").set(entries as f64);
        metrics::gauge!("folio_query_cache_bytes").set(bytes as f64);
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}
