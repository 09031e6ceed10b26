//! JSON bodies: size limit, content type and syntax errors become problem+json.

use super::{ApiError, Limits};
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::web;

// actix's JsonPayloadError is #[non_exhaustive]: a wildcard arm is required, not a shortcut.
#[allow(clippy::wildcard_enum_match_arm)]
pub fn json_config(limits: Limits) -> web::JsonConfig {
    let limit = limits.max_body_bytes;
    web::JsonConfig::default().limit(limit).error_handler(move |error, _| {
        let api = match error {
            JsonPayloadError::OverflowKnownLength { .. }
            | JsonPayloadError::Overflow { .. }
            | JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::TooLarge { limit },
            JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
            JsonPayloadError::Deserialize(e) => ApiError::BadRequest {
                code: "malformed_json",
                detail: format!("the body is not valid JSON: {e}"),
                field: "body".into(),
            },
            other => ApiError::BadRequest { code: "malformed_body", detail: other.to_string(), field: "body".into() },
        };
        api.into()
    })
}
