//! Shared pieces of Folio's load generators: latency recording and result rows, the HTTP load
//! harness, the `folio` binary as a child process, pgbench.

pub mod catchup;
pub mod cpu;
pub mod folio;
pub mod http1;
pub mod load;
pub mod measure;
pub mod pg;
pub mod pgbench;
pub mod query;
pub mod rebuild;
pub mod report;
pub mod visibility;

/// The error every benchmark binary returns.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
