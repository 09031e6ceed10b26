//! HTTP plumbing shared by the API crates: problem+json bodies, health endpoints, request ids.
//! Mapping each layer's errors to HTTP stays in the API crates.

pub mod health;
pub mod metrics;
pub mod problem;
pub mod request_id;

pub use problem::{Problem, ProblemField};
pub use request_id::RequestId;
