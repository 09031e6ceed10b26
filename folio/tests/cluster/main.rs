//! The cluster profile as separate processes: `folio relay`, `folio projector` and `folio query-api` over
//! PostgreSQL and a private nats-server that the tests stop, restart and kill at will.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

mod faults;
mod processes;
mod reads;
mod roles;
mod writer;
