//! Folio's read side over HTTP. Today it serves the operational endpoints every role exposes:
//! `/healthz` (the process answers) and `/readyz` (its event store answers). Lists, filters,
//! detail, comments and user history land here with the query API issue.

mod health;
mod problem;

pub use health::configure as configure_health;
pub use problem::Problem;
