//! Folio's adapters to the outside world. Today: the event store.
//!
//! - [`event_store`]: the [`EventStore`] port and its SQLite and PostgreSQL backends.

pub mod event_store;

pub use event_store::{
    AppendError, AppendResult, AppendedEvent, EventStore, EventStream, GroupCommitConfig, StoreConfig, StoreError,
};
