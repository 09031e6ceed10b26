//! The command line, and the two dataset scales.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// 100,000 articles, 2,000,000 views.
    Quick,
    /// 1,000,000 articles, 20,000,000 views.
    Full,
}

impl Scale {
    pub fn articles(self) -> u64 {
        match self {
            Self::Quick => 100_000,
            Self::Full => 1_000_000,
        }
    }

    pub fn views(self) -> u64 {
        match self {
            Self::Quick => 2_000_000,
            Self::Full => 20_000_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }
}

#[derive(Debug, Parser)]
pub struct Args {
    /// The folio binary to run.
    #[arg(long)]
    pub folio: PathBuf,
    #[arg(long, value_enum, default_value_t = Scale::Quick)]
    pub scale: Scale,
    /// postgres and/or embedded, in this order.
    #[arg(long, value_delimiter = ',', default_value = "postgres,embedded")]
    pub profiles: Vec<String>,
    /// Response cache sizes (MiB) to run, each on a fresh `folio serve` over the same data; 0 is off.
    #[arg(long, value_delimiter = ',', default_value = "0,64,512")]
    pub caches: Vec<u32>,
    /// Shapes to measure (list20, list20_cursor, by_tag, detail, history, state).
    #[arg(long, value_delimiter = ',', default_value = "list20,list20_cursor,by_tag,detail,history,state")]
    pub workloads: Vec<String>,
    #[arg(long, default_value_t = 100)]
    pub connections: usize,
    /// pgbench client counts tried for each shape's ceiling; the fastest is the ceiling. 100 is
    /// the HTTP side's connections; 16 the query API's own PostgreSQL connections at the default
    /// read pool (8 per HTTP worker, 2 workers). On 2 cores, 100 backends reach less than 16.
    #[arg(long, value_delimiter = ',', default_value = "100,16")]
    pub pgbench_clients: Vec<usize>,
    /// Warm-up seconds before each measured window.
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Measured seconds per workload (and per pgbench ceiling).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// `folio serve --read-pool-size`.
    #[arg(long, default_value_t = 8)]
    pub read_pool_size: u32,
    /// More `folio serve` arguments (repeatable), e.g. `--serve-arg=--database-pool-size=16`.
    #[arg(long = "serve-arg", allow_hyphen_values = true)]
    pub serve_args: Vec<String>,
    /// Users whose state for 20 viewed articles is asked (resolved at setup).
    #[arg(long, default_value_t = 500)]
    pub state_users: u64,
    /// PostgreSQL admin URL; the bench database is created beside it.
    #[arg(long, env = "FOLIO_BENCH_PG_URL", default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
    pub pg_url: String,
    /// The bench database (default perf_query_<scale>: not folio_bench_*, the throwaway
    /// databases of the other benchmarks, which a clean-up may drop).
    #[arg(long)]
    pub database: Option<String>,
    /// The embedded profile's data folder (default /var/tmp/perf-query-<scale>).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed again even when seeded data of this scale is there.
    #[arg(long)]
    pub reseed: bool,
    /// Delete the bench database / data folder at the end.
    #[arg(long)]
    pub drop_after: bool,
    /// Skip the pgbench ceilings.
    #[arg(long)]
    pub no_pgbench: bool,
    /// Do not load the read models' pages before the first window (PostgreSQL; see
    /// `perf/sql/prewarm.sql`).
    #[arg(long)]
    pub no_prewarm: bool,
    /// A window in which other processes (not folio, this database's PostgreSQL backends,
    /// pgbench or query-bench) used more than this many cores is measured again, after waiting
    /// for a quiet machine (the machine is shared). At the machine's core count or more, no
    /// window is measured again and nothing waits.
    #[arg(long, default_value_t = 0.15)]
    pub max_others: f64,
    /// How many times a disturbed window is measured again (the quietest attempt is kept).
    #[arg(long, default_value_t = 2)]
    pub retries: usize,
    /// A request without an answer after this many seconds counts as an error.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Longest wait for the read models to catch up, in seconds.
    #[arg(long, default_value_t = 4 * 3600)]
    pub catch_up_timeout: u64,
    /// Results go to <out>.md, <out>.json and <out>.plans.txt (default
    /// perf/results/query-<UTC stamp>-<scale>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The command line to print in the results (perf/query.sh passes its own).
    #[arg(long)]
    pub command: Option<String>,
}
