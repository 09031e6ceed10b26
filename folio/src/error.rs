//! The binary's error type and its human report (the whole cause chain, on one line).

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot create the data directory {path}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot open the event store")]
    Store(#[from] infra::StoreError),
    #[error("cannot listen on {address}")]
    Bind { address: String, source: std::io::Error },
    #[error("unknown role {0:?}: use admin, editor, author, moderator or site")]
    UnknownRole(String),
    #[error("cannot issue the key")]
    Key(#[source] command_api::http::ApiError),
    #[error("seeding failed")]
    Seed(#[from] crate::seed::SeedError),
    #[error("the HTTP server failed")]
    Server(#[source] std::io::Error),
    #[error("the read models failed")]
    ReadModels(#[from] projectors::RunnerError),
    #[error("cannot connect to NATS at {url}")]
    Nats { url: String, source: async_nats::ConnectError },
    #[error("cannot read the read models")]
    ReadModelQuery(#[from] sqlx::Error),
    #[error("cannot write the output: {0}")]
    Output(String),
    #[error("bad input: {0}")]
    Input(String),
    #[error("the import failed")]
    Import(#[from] infra::ImportError),
    #[error("the query API cannot start")]
    Query(#[from] query_api::QueryError),
    #[error("cannot subscribe to change notices: {0}")]
    Subscribe(String),
    #[error("unknown projection {0:?} (see `folio projections status`)")]
    UnknownProjection(String),
}

/// Displays an error followed by each of its causes: `a: b: c`.
#[derive(Debug)]
pub struct Report<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
