//! What a request asked for, parsed from its query string: pure, no IO.

pub mod cursor;
pub mod params;
pub mod search;
