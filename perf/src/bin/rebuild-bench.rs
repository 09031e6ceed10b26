//! The rebuild workload (issue 6): `folio projections rebuild <p> --drop-old` for content,
//! comments, engagement and keys on an already seeded store, timed, while a running
//! `folio serve` answers list20 reads at a steady rate; the same reads measured idle just
//! before. `scripts/bench` runs it on the query benchmark's data; `--help` for the knobs.

use clap::Parser;
use perf::folio::Store;
use perf::rebuild::ReadLoad;
use perf::Error;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Parser)]
struct Args {
    /// The folio binary to run.
    #[arg(long)]
    folio: PathBuf,
    /// embedded or postgres.
    #[arg(long)]
    profile: String,
    /// The embedded profile's data folder (seeded).
    #[arg(long, required_if_eq("profile", "embedded"))]
    data_dir: Option<PathBuf>,
    /// The postgres profile's database URL (seeded).
    #[arg(long, required_if_eq("profile", "postgres"))]
    database_url: Option<String>,
    /// list20 reads per second kept up during the rebuild (and measured idle before it).
    #[arg(long, default_value_t = 200)]
    rate: u64,
    #[arg(long, default_value_t = 10)]
    connections: usize,
    /// Seconds of idle reads measured before the rebuild.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// Rebuild the projections one after another instead of all at once.
    #[arg(long)]
    sequential: bool,
    /// `--priority` of the rebuild under reads: low (`folio projections rebuild`'s default: nice
    /// 19 and one CPU left to the site, its PostgreSQL backends too) or normal.
    #[arg(long, default_value = "low", value_parser = ["low", "normal"])]
    priority: String,
    /// Then, with the server stopped, rebuild every projection again at this `--priority`, with
    /// no reads: how long a rebuild takes alone.
    #[arg(long, value_parser = ["low", "normal"])]
    then_alone: Option<String>,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// The card fields of DATASET.md's list20, as the query benchmark asks them.
const LIST20: &str =
    "/v1/content/article?limit=20&fields=title%2Cslug%2Csummary%2Cpublished_at%2Cviews%2Ccomments%2Cauthor%2Ccategory%2Ctags";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let store = match (args.profile.as_str(), &args.data_dir, &args.database_url) {
        ("embedded", Some(dir), _) => Store::Embedded(dir.clone()),
        ("postgres", _, Some(url)) => Store::Postgres(url.clone()),
        (other, _, _) => return Err(format!("unknown profile {other:?} (embedded, postgres)").into()),
    };
    let load = ReadLoad { url: LIST20.to_owned(), rate: args.rate, connections: args.connections };
    let result = perf::rebuild::run(
        &args.folio,
        store.profile(),
        &store.args(),
        &load,
        args.idle_seconds,
        &perf::rebuild::Plan { concurrent: !args.sequential, priority: args.priority, alone_priority: args.then_alone },
    )
    .await?;
    let text = serde_json::to_string_pretty(&result)?;
    writeln!(std::io::stdout(), "{text}")?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, text)?;
    }
    Ok(())
}
