//! `folio seed`: streams a dataset's events into the event store through its import path, in
//! chunks, with a progress bar (rate and ETA), and reports what it did.
//!
//! Generation runs on a blocking thread one chunk ahead of the import, so the two overlap. Into
//! an empty PostgreSQL store the whole seed is one transaction, the log's indexes built at the
//! end (`crate::import_chunks`); an interrupted one leaves the store empty. Otherwise a chunk is
//! one import (one transaction): seeding a store that already holds the dataset appends
//! nothing, and a seed that stopped half-way resumes when run again.

use super::bench::{BenchEvents, BenchParams};
use super::SeedError;
use crate::cli::{SeedArgs, SeedDataset};
use crate::error::CliError;
use indicatif::{ProgressBar, ProgressStyle};
use infra::{EventStore, ImportFeed, ImportedEvent};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What a seed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Events generated, by event type.
    pub by_type: BTreeMap<String, u64>,
    /// Events appended (the rest were already stored).
    pub imported: u64,
    pub skipped: u64,
    /// Whether the whole seed was one transaction into an empty store (`crate::import_chunks`).
    pub in_one_transaction: bool,
    pub elapsed: Duration,
}

impl SeedReport {
    pub fn generated(&self) -> u64 {
        self.by_type.values().sum()
    }

    /// Generated events per second (re-seeding is a check of every event, so it counts).
    pub fn rate(&self) -> f64 {
        self.generated() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The bench parameters the options choose: `--quick` sizes, then `--articles` / `--views`.
pub fn bench_params(args: &SeedArgs) -> BenchParams {
    let base = if args.quick { BenchParams::QUICK } else { BenchParams::FULL };
    BenchParams { articles: args.articles.unwrap_or(base.articles), views: args.views.unwrap_or(base.views) }
}

/// `folio seed`.
pub async fn run(args: SeedArgs) -> Result<SeedReport, CliError> {
    let store = crate::store::open(&args.store).await?;
    let batch = args.batch as usize;
    let report = match args.dataset {
        SeedDataset::Bench => {
            let params = bench_params(&args);
            let events = BenchEvents::new(params)?;
            import_all(store, events, params.total(), batch, progress_bar(params.total())).await?
        }
        SeedDataset::Demo => {
            let events = super::demo::events()?;
            let total = events.len() as u64;
            import_all(store, events.into_iter().map(Ok), total, batch, progress_bar(total)).await?
        }
    };
    let mut out = std::io::stdout().lock();
    for (event_type, count) in &report.by_type {
        let _ = writeln!(out, "{event_type:>20} {count:>10}");
    }
    let _ = writeln!(
        out,
        "seeded {} events ({} appended, {} already stored{}) in {:.1} s: {:.0} events/s",
        report.generated(),
        report.imported,
        report.skipped,
        if report.in_one_transaction { "; one transaction into the empty store" } else { "" },
        report.elapsed.as_secs_f64(),
        report.rate()
    );
    Ok(report)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} events, {per_sec}, ETA {eta} {msg}";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Imports `events` into `store` in chunks of `batch`, generating on a blocking thread.
pub async fn import_all<I>(
    store: Arc<dyn EventStore>,
    events: I,
    total: u64,
    batch: usize,
    progress: ProgressBar,
) -> Result<SeedReport, SeedError>
where
    I: Iterator<Item = Result<ImportedEvent, SeedError>> + Send + 'static,
{
    let started = Instant::now();
    let (chunks, mut received) = mpsc::channel::<ImportFeed>(2);
    let generator = tokio::task::spawn_blocking(move || generate(events, batch.max(1), &chunks));
    let imported = crate::import_chunks::import_chunks(store.as_ref(), &mut received, &progress, |bar, events| {
        bar.inc(events);
    });
    let imported = imported.await;
    // The generator's error first: an import cut short by it says only that its source stopped.
    drop(received);
    let by_type = generator.await.map_err(|_| SeedError::Generator)??;
    let crate::import_chunks::Imported { imported, skipped, in_one_transaction } = imported?;
    progress.finish_and_clear();
    let report = SeedReport { by_type, imported, skipped, in_one_transaction, elapsed: started.elapsed() };
    if report.generated() != total {
        tracing::warn!(expected = total, generated = report.generated(), "the dataset's size differs from its count");
    }
    Ok(report)
}

/// Sends `events` in chunks of `batch`, then `ImportFeed::End`; returns the counts by type.
/// Stops when the receiver is gone.
fn generate<I>(events: I, batch: usize, chunks: &mpsc::Sender<ImportFeed>) -> Result<BTreeMap<String, u64>, SeedError>
where
    I: Iterator<Item = Result<ImportedEvent, SeedError>>,
{
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut chunk = Vec::with_capacity(batch);
    for event in events {
        let event = event?;
        match by_type.get_mut(&event.event_type) {
            Some(count) => *count += 1,
            None => {
                by_type.insert(event.event_type.clone(), 1);
            }
        }
        chunk.push(event);
        if chunk.len() == batch
            && chunks
                .blocking_send(ImportFeed::Chunk(std::mem::replace(&mut chunk, Vec::with_capacity(batch))))
                .is_err()
        {
            return Err(SeedError::Generator);
        }
    }
    if !chunk.is_empty() && chunks.blocking_send(ImportFeed::Chunk(chunk)).is_err() {
        return Err(SeedError::Generator);
    }
    if chunks.blocking_send(ImportFeed::End).is_err() {
        return Err(SeedError::Generator);
    }
    Ok(by_type)
}
