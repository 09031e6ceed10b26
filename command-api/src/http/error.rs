//! Every way a command can fail, mapped exhaustively to a status and a stable code. 5xx bodies
//! say nothing internal; the cause chain goes to the log.

use crate::violation::Violation;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use events::payloads::Role;
use infra::http::{Problem, ProblemField};
use infra::{AppendError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no credentials")]
    MissingCredentials,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("role {role} may not do this")]
    Forbidden { role: Role },
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    /// Only a comment's author may do this.
    #[error("not the author")]
    NotAuthor,
    /// Malformed input: not JSON, a bad path parameter or header.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String, field: String },
    /// Well-formed input that breaks rules.
    #[error("{} rule(s) broken", .0.len())]
    Invalid(Vec<Violation>),
    #[error("body over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("body is not application/json")]
    UnsupportedMediaType,
    /// The item's state forbids this (archived, already published).
    #[error("{detail}")]
    State { code: &'static str, detail: String },
    /// As `State`, naming the offending input (a slug another item holds).
    #[error("{detail}")]
    StateOn { code: &'static str, detail: String, field: String },
    /// `If-Match` is required here and was not sent.
    #[error("If-Match is required")]
    PreconditionRequired,
    /// `If-Match` named another version.
    #[error("version {expected} is stale; current is {current}")]
    PreconditionFailed { expected: u64, current: u64 },
    /// Someone else changed the same thing first.
    #[error("changed concurrently; current version {current}")]
    Conflict { current: u64 },
    #[error("event store failed")]
    Store(#[from] StoreError),
    /// A stored event this build cannot read.
    #[error("stored event is unreadable")]
    Decode(#[source] events::DecodeError),
    #[error("cannot encode an event")]
    Encode(#[source] serde_json::Error),
    /// A stream id built from validated parts was refused (a bug, never the caller's fault).
    #[error("cannot name a stream")]
    StreamId(#[source] events::StreamIdError),
    /// The operating system gave no randomness for a key.
    #[error("no randomness for a new key: {0}")]
    Randomness(String),
}

impl ApiError {
    /// Another item of the type holds the slug.
    pub fn slug_taken() -> Self {
        Self::StateOn {
            code: "slug_taken",
            detail: "another item of this type has this slug".into(),
            field: "slug".into(),
        }
    }

    fn problem(&self) -> Problem {
        match self {
            Self::MissingCredentials => {
                Problem::new(StatusCode::UNAUTHORIZED, "missing_credentials", "send Authorization: Bearer <key>")
                    .with_field("Authorization")
            }
            Self::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the key is unknown, revoked or malformed",
            )
            .with_field("Authorization"),
            Self::Forbidden { role } => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", format!("a key with role {role} may not do this"))
            }
            Self::NotFound { code, detail } => Problem::new(StatusCode::NOT_FOUND, code, detail.clone()),
            Self::NotAuthor => {
                Problem::new(StatusCode::FORBIDDEN, "not_author", "only the comment's author may do this")
                    .with_field("user")
            }
            Self::BadRequest { code, detail, field } => {
                Problem::new(StatusCode::BAD_REQUEST, code, detail.clone()).with_field(field.clone())
            }
            Self::Invalid(violations) => {
                let detail = violations.first().map_or_else(String::new, ToString::to_string);
                let errors = violations
                    .iter()
                    .map(|v| ProblemField { field: v.path.clone(), code: v.code, detail: v.message.clone() })
                    .collect();
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail).with_errors(errors)
            }
            Self::TooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("bodies are at most {limit} bytes"),
            ),
            Self::UnsupportedMediaType => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json",
            )
            .with_field("Content-Type"),
            Self::State { code, detail } => Problem::new(StatusCode::CONFLICT, code, detail.clone()),
            Self::StateOn { code, detail, field } => {
                Problem::new(StatusCode::CONFLICT, code, detail.clone()).with_field(field.clone())
            }
            Self::PreconditionRequired => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if_match_required",
                "send If-Match: \"<version>\" with the version you revised",
            )
            .with_field("If-Match"),
            Self::PreconditionFailed { expected, current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                format!("If-Match names version {expected}, the current version is {current}"),
            )
            .with_field("If-Match")
            .with("current_version", *current),
            Self::Conflict { current } => Problem::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!("changed concurrently; the current version is {current}"),
            )
            .with("current_version", *current),
            Self::Store(error) => store_problem(error),
            Self::Decode(_) | Self::Encode(_) | Self::StreamId(_) | Self::Randomness(_) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

fn store_problem(error: &StoreError) -> Problem {
    match error {
        StoreError::Append(AppendError::WrongExpectedVersion { actual, .. }) => Problem::new(
            StatusCode::CONFLICT,
            "version_conflict",
            format!("changed concurrently; the current version is {actual}"),
        )
        .with("current_version", *actual),
        StoreError::Append(AppendError::IdempotencyConflict { .. }) => Problem::new(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "this request's events were already stored with other content",
        ),
        StoreError::Database(_) | StoreError::Contention { .. } | StoreError::Closed => {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the event store is unavailable; retry")
        }
        StoreError::Append(AppendError::Empty | AppendError::SchemaVersionTooHigh { .. })
        | StoreError::Migration(_)
        | StoreError::Corrupt { .. } => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        if problem.status >= 500 {
            tracing::error!(error = %infra::http::problem::chain(self), code = problem.code, "command failed");
        }
        problem.response()
    }
}

impl From<crate::stream_state::LoadError> for ApiError {
    fn from(error: crate::stream_state::LoadError) -> Self {
        match error {
            crate::stream_state::LoadError::Store(error) => Self::Store(error),
            crate::stream_state::LoadError::Decode(error) => Self::Decode(error),
        }
    }
}
