//! The query API on the bench dataset: see `perf::query` (shared/bench/DATASET.md). `perf/query.sh`
//! and `scripts/bench` run it as committed; `--help` for the knobs.

use chrono::Timelike;
use clap::Parser;
use perf::query::args::Args;
use perf::query::report::{environment, write_results};
use perf::query::run::run_profile;
use perf::query::SHAPES;
use perf::Error;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let started = chrono::Utc::now().with_nanosecond(0).unwrap_or_else(chrono::Utc::now);
    let stamp = started.format("%Y-%m-%dT%H%MZ").to_string();
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from(format!("perf/results/query-{stamp}-{}", args.scale.name())));
    // `with_extension` replaces what follows the last dot: keep the stem free of dots.
    let out = out.with_file_name(format!("{}.x", out.file_name().and_then(|n| n.to_str()).unwrap_or("query")));
    if let Some(unknown) = args.workloads.iter().find(|w| !SHAPES.contains(&w.as_str())) {
        return Err(format!("unknown workload {unknown}; the shapes are {}", SHAPES.join(", ")).into());
    }
    let env = environment(&args).await;
    let mut runs = Vec::new();
    for profile in &args.profiles {
        runs.push(run_profile(profile, &args).await?);
        write_results(&out, &args, &env, &runs, &started.to_rfc3339())?;
    }
    Ok(())
}
