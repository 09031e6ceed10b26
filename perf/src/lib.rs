//! Shared pieces of Folio's load generators: latency recording and result rows.

pub mod catchup;
pub mod measure;
pub mod pg;
pub mod pgbench;
pub mod visibility;
