//! [`QueryError`] as HTTP: problem+json with a stable code, exhaustively.

use crate::error::QueryError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use infra::http::Problem;

/// Seconds a client should wait before retrying a read whose position is not reached.
const RETRY_AFTER_SECONDS: &str = "1";

impl ResponseError for QueryError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(problem(self).status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, Self::Database(_) | Self::Corrupt(_)) {
            tracing::error!(error = %infra::http::problem::chain(self), "query failed");
        }
        let mut response = problem(self).response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer"),
                );
            }
            Self::NotReady { .. } | Self::Database(_) => {
                headers.insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            Self::BadInput(_) | Self::UnknownType(_) | Self::NotFound(_) | Self::Forbidden | Self::Corrupt(_) => {}
        }
        response
    }
}

fn problem(error: &QueryError) -> Problem {
    match error {
        QueryError::BadInput(bad) => {
            Problem::new(StatusCode::BAD_REQUEST, bad.code, bad.detail.clone()).with_field(bad.field.clone())
        }
        QueryError::UnknownType(name) => {
            Problem::new(StatusCode::BAD_REQUEST, "unknown_type", format!("there is no content type `{name}`"))
                .with_field("type")
        }
        QueryError::NotFound(what) => Problem::new(StatusCode::NOT_FOUND, "not_found", format!("no such {what}")),
        QueryError::Unauthorized(code) => Problem::new(
            StatusCode::UNAUTHORIZED,
            code,
            if *code == "missing_credentials" {
                "send Authorization: Bearer <key>"
            } else {
                "the key is malformed, unknown or revoked"
            },
        )
        .with_field("authorization"),
        QueryError::Forbidden => Problem::new(StatusCode::FORBIDDEN, "forbidden", "this key's role may not read this")
            .with_field("authorization"),
        QueryError::NotReady { wanted } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "position_not_reached",
            format!("the read models have not reached position {wanted} yet; retry"),
        )
        .with_field("folio-min-position"),
        QueryError::Database(_) => {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the read models are unavailable; retry")
        }
        QueryError::Corrupt(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error"),
    }
}
