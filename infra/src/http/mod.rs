//! HTTP plumbing shared by the API crates: problem+json bodies, health endpoints, request ids.
//! Mapping each layer's errors to HTTP stays in the API crates.

pub mod health;
pub mod metrics;
mod no_route;
pub mod problem;
pub mod request_id;

pub use no_route::no_route;
pub use problem::{Problem, ProblemField};
pub use request_id::RequestId;
