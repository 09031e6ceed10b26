//! Folio's read side over HTTP: lists with filters, sort, keyset cursors and full-text search;
//! detail by id or slug; comments; a user's history and state. It reads only the read models
//! the projectors build, one indexed statement per request, copying their pre-rendered JSON
//! into responses; a response cache is kept true by the projectors' change notices.
//!
//! - [`request`]: the query string, parsed (pure); [`plan`]: checked against the content type
//!   (pure); [`sql`]: as SQL for either backend (pure); [`db`]: run and decoded.
//! - [`cache`], [`state`]: the response cache, read-your-writes, and notices.
//! - [`http`]: handlers and the mapping of errors to problem+json.

pub mod cache;
pub mod catalog;
pub mod db;
pub mod error;
pub mod gather;
pub mod http;
pub mod keys;
pub mod members;
pub mod plan;
pub mod read_pool;
pub mod render;
pub mod request;
pub mod row;
pub mod sql;
pub mod state;

pub use db::ReadDb;
pub use error::QueryError;
pub use infra::http::health::configure as configure_health;
pub use state::{QueryConfig, QueryState};
