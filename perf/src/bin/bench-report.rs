//! Reads one `scripts/bench` results folder and writes its `summary.json` (every row with its
//! target, every raw figure, the machine and the versions) and the generated section of
//! perf/RESULTS.md for its mode, the previous run's figures beside the new ones.

use clap::Parser;
use perf::report::{self, machine, rows};
use perf::Error;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Parser)]
struct Args {
    /// The results folder (perf/results/<stamp>-<mode>).
    #[arg(long)]
    dir: PathBuf,
    /// quick or full.
    #[arg(long)]
    mode: String,
    /// The folio binary measured (for its version).
    #[arg(long)]
    folio: PathBuf,
    #[arg(long, env = "FOLIO_BENCH_PG_URL", default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
    pg_url: String,
    /// RESULTS.md to update (its generated section for this mode only).
    #[arg(long, default_value = "perf/RESULTS.md")]
    results: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let (rows, raw) = rows::collect(&args.dir);
    let machine = machine::describe(&args.folio, &args.pg_url, &args.dir).await;
    let steps = report::steps(&args.dir);
    let summary = report::summary(&args.mode, &args.dir, &rows, raw, machine.clone(), steps.clone());
    std::fs::write(args.dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;

    let previous = report::previous(&args.dir, &args.mode);
    let previous_name = previous.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let earlier = previous
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p.join("summary.json")).ok())
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .map(|s| report::figures_of(&s))
        .unwrap_or_default();
    let folder = args.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (met, missed, not_measured) = report::tally(&rows);
    let mut section = String::new();
    let title = if args.mode == "quick" { "`scripts/bench --quick`" } else { "`scripts/bench` (full)" };
    let _ = writeln!(section, "## Latest {title} run (generated)\n");
    let _ = writeln!(
        section,
        "Run `{folder}`; raw figures in `perf/results/{folder}/` (`summary.json` has every row and every raw figure). \
         Machine: {}.\n",
        machine::line(&machine)
    );
    let timing: Vec<String> = steps
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some(format!(
                "{} {:.0} s{}",
                s["step"].as_str()?,
                s["seconds"].as_f64()?,
                match s["status"].as_str() {
                    Some("ok") => String::new(),
                    Some(other) => format!(" ({other})"),
                    None => String::new(),
                }
            ))
        })
        .collect();
    let _ = writeln!(section, "Steps: {}.\n", timing.join(", "));
    if let Some((mean, max)) = report::others(&summary["raw"]["query"]) {
        let _ = writeln!(
            section,
            "Other processes (not the benchmark's) used {mean:.2} cores on average during the query windows \
             (at most {max:.2}); on a 2-core machine anything above ~0.2 lowers the figures (see `query.md`).\n"
        );
    }
    let _ = writeln!(
        section,
        "Targets: **{met} met, {missed} missed**{}. Rows without a target are there for context.{}\n",
        if not_measured > 0 {
            format!(", {not_measured} not measured (the step failed or was skipped; see `bench.log`)")
        } else {
            String::new()
        },
        if args.mode == "quick" {
            " The quick dataset is a tenth of the full one and the windows are short: these figures check the \
             pipeline and show trends; the full run's table is the one the targets are judged on."
        } else {
            ""
        }
    );
    section.push_str(&report::table(&rows, &earlier, previous_name.as_deref().unwrap_or_default()));
    let _ = writeln!(section, "\nHow to read this table, and each workload: `perf/README.md`.");
    let text = std::fs::read_to_string(&args.results).unwrap_or_default();
    std::fs::write(&args.results, report::splice(&text, &args.mode, &section))?;
    let _ = std::io::stdout().lock().write_all(section.as_bytes());
    Ok(())
}
