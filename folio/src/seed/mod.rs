//! Seeded datasets as events: the bench dataset of `shared/bench/DATASET.md` ([`bench`]) and a
//! small demo blog ([`demo`]), generated deterministically (two generations are byte-identical)
//! through the command API's own decisions ([`model`]), and imported into the event store in
//! chunks by `folio seed` ([`run`]).

pub mod bench;
pub mod demo;
pub mod ids;
pub mod model;
pub mod run;
pub mod text;

use events::{NameError, StreamIdError};
use infra::ImportError;

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// Generated data broke a rule of the command API (a bug in the generator).
    #[error("seeded {what} breaks a rule: {detail}")]
    Invalid { what: &'static str, detail: String },
    #[error("cannot encode a seeded event")]
    Encode(#[from] serde_json::Error),
    #[error("seeded stream id is invalid")]
    StreamId(#[from] StreamIdError),
    #[error("seeded name is invalid")]
    Name(#[from] NameError),
    #[error("the event store refused the import")]
    Import(#[from] ImportError),
    #[error("the generator stopped unexpectedly")]
    Generator,
}

impl SeedError {
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid { what, detail: detail.into() }
    }
}
