//! Content types: what a definition must satisfy, which revisions existing content survives, and
//! the decision for `PUT /v1/types/{type}`.

mod decide;
mod definition;
mod parse;
mod revision;

pub use decide::{decide_define, evolve, TypeState};
pub use definition::{check_definition, RESERVED_FIELD_NAMES};
pub use parse::parse_definition;
pub use revision::check_revision;
