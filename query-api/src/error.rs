//! The query API's errors. Mapped to HTTP (problem+json with a stable code) only in
//! [`crate::http::problem`].

use events::Position;
use std::sync::Arc;

/// A request the API cannot answer as asked: which rule, which parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail} ({code})")]
pub struct BadInput {
    pub code: &'static str,
    /// The offending parameter or header, as the client wrote it.
    pub field: String,
    pub detail: String,
}

impl BadInput {
    pub fn new(code: &'static str, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { code, field: field.into(), detail: detail.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    BadInput(#[from] BadInput),
    #[error("unknown content type `{0}`")]
    UnknownType(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this key's role may not read this")]
    Forbidden,
    /// `Folio-Min-Position` was not reached in time.
    #[error("the read models have not reached position {wanted} yet")]
    NotReady { wanted: Position },
    /// Shared: reads answered by one statement ([`crate::gather`]) share its error.
    #[error("read-model database error")]
    Database(#[source] Arc<sqlx::Error>),
    #[error("a stored read-model row is malformed: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for QueryError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}
