//! Folio's read side over HTTP. Today it serves the operational endpoints every role exposes
//! (`infra::http::health`); lists, filters, detail, comments and user history land here with the
//! query API issue.

pub use infra::http::health::configure as configure_health;
