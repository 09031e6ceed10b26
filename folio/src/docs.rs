//! `/openapi.json` (every route this process serves) and `/docs` (a page that renders it).

use actix_web::{web, HttpResponse};
use utoipa::OpenApi;

/// The OpenAPI document as served: built once at start.
#[derive(Debug)]
pub struct Document(String);

impl Document {
    pub fn build() -> Self {
        let mut document = command_api::http::openapi::CommandApiDoc::openapi();
        document.merge(query_api::http::openapi::QueryApiDoc::openapi());
        document.merge(infra::http::health::HealthDoc::openapi());
        document.merge(crate::metrics::MetricsDoc::openapi());
        document.info.title = "Folio".into();
        document.info.version = env!("CARGO_PKG_VERSION").into();
        Self(document.to_json().unwrap_or_else(|_| "{}".into()))
    }

    pub fn json(&self) -> &str {
        &self.0
    }
}

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/openapi.json", web::get().to(openapi)).route("/docs", web::get().to(docs));
}

async fn openapi(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document.0.clone())
}

/// Redoc renders the document in the browser (its script comes from its CDN).
async fn docs() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        r#"<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Folio API</title></head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#,
    )
}
