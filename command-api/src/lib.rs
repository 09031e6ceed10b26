//! Folio's write side. Every command is a pure decision over state rebuilt from the event store;
//! its only effect is one append. Today this crate holds the pure rules for content types and
//! content fields; the HTTP surface (issue 3) is built on them.

pub mod comments;
pub mod content;
pub mod content_types;
pub mod engagement;
pub mod http;
pub mod keys;
pub mod live;
pub mod scheduler;
pub mod stream_state;
pub mod violation;

pub use violation::Violation;
