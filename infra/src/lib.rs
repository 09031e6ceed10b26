//! Folio's adapters to the outside world. Today: the event store.
//!
//! - [`event_store`]: the [`EventStore`] port and its SQLite and PostgreSQL backends.
//! - [`http`]: problem+json, health endpoints and request ids shared by the API crates.

pub mod event_store;
pub mod http;
pub mod notices;
pub mod priority;
pub mod sqlite_open;
pub mod testing;

pub use event_store::{
    AppendError, AppendRequest, AppendResult, AppendedEvent, BulkStep, EventStore, EventStream, GroupCommitConfig,
    ImportError, ImportFeed, ImportResult, ImportedEvent, StoreConfig, StoreError, Stretch, MAX_SCHEMA_VERSION,
};
