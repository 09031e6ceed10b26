//! The query API benchmark (`query-bench`) on the bench dataset (shared/bench/DATASET.md): the
//! real `folio serve` (a release build, as a child process) answers list, detail, history and
//! state reads from N concurrent connections, with its response cache off and on, on both
//! profiles. In the same run: `GET /healthz` (the HTTP stack alone) with the same connections, and
//! on PostgreSQL pgbench running the very SQL the query API renders for each shape (the database
//! alone).
//!
//! The data is seeded once per profile and scale (`folio seed --dataset bench`) and kept between
//! runs (`--reseed` to start over, `--drop-after` to delete it).

pub mod args;
pub mod ceilings;
pub mod data;
pub mod dataset;
pub mod prewarm;
pub mod report;
pub mod run;
pub mod setup;
pub mod workloads;

use std::io::Write as _;

/// The "card" fields of DATASET.md (`id` always comes).
pub const CARD: &str = "title,slug,summary,published_at,views,comments,author,category,tags";
pub const USERS: u64 = 100_000;
pub const TAGS: u64 = 1_000;
pub const SHAPES: [&str; 6] = ["list20", "list20_cursor", "by_tag", "detail", "history", "state"];
pub const HEALTHZ: &str = "healthz";
/// The benchmark's own processes (as /proc/<pid>/comm names them) on PostgreSQL; on SQLite
/// PostgreSQL is someone else's.
pub const OWN_PROCESSES: [&str; 4] = ["folio", "postgres", "pgbench", "query-bench"];
pub const OWN_PROCESSES_EMBEDDED: [&str; 2] = ["folio", "query-bench"];

pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "[query-bench {}] {text}", chrono::Utc::now().format("%H:%M:%S"));
}
