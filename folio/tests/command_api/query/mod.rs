//! The query API, black box over HTTP, against the read models that the command API's writes
//! built in the same process (as `folio serve` runs), on both profiles.

pub mod bad_input;
pub mod blog;
pub mod cache;
pub mod explain;
pub mod gathered;
pub mod lists;
pub mod reads;
