//! Content items: checking field values against their type, and deriving slugs.

mod fields;
mod slug;

pub use fields::{check_fields, Mode, Reference, DEFAULT_STRING_MAX, DEFAULT_TEXT_MAX, MAX_REFERENCES};
pub use slug::slugify;
