//! Content items: field values against their type, slugs, state, and the lifecycle decisions.

mod decide;
mod fields;
mod slug;
mod state;

pub use decide::{
    creates_cycle, decide_archive, decide_create, decide_publish, decide_revise, decide_schedule, decide_unpublish,
    ContentError, Create, Revise,
};
pub use fields::{check_fields, Mode, Reference, DEFAULT_STRING_MAX, DEFAULT_TEXT_MAX, MAX_REFERENCES};
pub use slug::slugify;
pub use state::{content_stream, evolve, evolve_slug, slug_stream, ContentState, SlugState, Status};
