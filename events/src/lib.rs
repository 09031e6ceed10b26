//! Folio's event model. Pure data and rules: no IO, no async runtime, no database.
//!
//! - [`names`]: value objects that parse (type, field, category, user names, slugs).
//! - [`stream`]: stream ids (`<category>-<id>`) and their rules.
//! - [`envelope`]: the stored envelope (ids, versions, positions, metadata) and what an append carries.
//! - [`schema`]: content type definitions (fields and their kinds).
//! - [`search`]: the words full-text search indexes and looks for.
//! - [`payloads`]: the typed payload of every event, with its event type and schema version.
//! - [`domain`]: [`DomainEvent`], the closed set of events, and its stored form.
//! - [`upcast`]: turning older stored schema versions into the current one on read.

pub mod api_key;
pub mod domain;
pub mod envelope;
pub mod names;
pub mod payloads;
pub mod schema;
pub mod search;
pub mod stream;
pub mod upcast;

pub use domain::{DecodeError, DomainEvent, StoredForm};
pub use envelope::{EventId, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent, StreamVersion};
pub use names::{Category, FieldName, NameError, Slug, TypeName, UserId};
pub use stream::{StreamId, StreamIdError};
