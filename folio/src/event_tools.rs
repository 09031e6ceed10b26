//! `folio events read|tail|export|import|stats`: look at the log and move it between stores.
//!
//! The interchange format is NDJSON, one stored event per line exactly as the store holds it
//! (id, stream, version, position, type, schema version, data, metadata, recorded_at). An import
//! keeps every id, version and time and appends in file order; events already stored with the
//! same content are skipped, so importing a file twice appends nothing.

use crate::cli::{EventsExportArgs, EventsImportArgs, EventsReadArgs, EventsStatsArgs, EventsTailArgs};
use crate::error::CliError;
use events::{Position, RecordedEvent, StreamId};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use infra::{EventStore, ImportFeed, ImportedEvent};
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

/// Events read from the log per round trip.
const PAGE: usize = 5_000;

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!(
        "{{elapsed_precise}} [{{wide_bar}}] {{human_pos}}/{{human_len}} {what}, {{per_sec}}, ETA {{eta}} {{msg}}"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn line(out: &mut impl Write, event: &RecordedEvent) -> Result<(), CliError> {
    serde_json::to_writer(&mut *out, event).map_err(|e| CliError::Output(e.to_string()))?;
    out.write_all(b"\n").map_err(|e| CliError::Output(e.to_string()))
}

/// `folio events read <stream>`: the stream's events in version order, as NDJSON.
pub async fn read(args: EventsReadArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let stream = StreamId::parse(&args.stream).map_err(|e| CliError::Input(format!("stream {}: {e}", args.stream)))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut version = args.from_version.max(1);
    loop {
        let page = store.read_stream(&stream, version, PAGE).await?;
        for event in &page {
            line(&mut out, event)?;
        }
        match page.last() {
            Some(last) if page.len() == PAGE => version = last.stream_version + 1,
            Some(_) | None => break,
        }
    }
    out.flush().map_err(|e| CliError::Output(e.to_string()))
}

/// Whether a tailed event passes `--type`, `--stream` and `--category`.
fn wanted(args: &EventsTailArgs, event: &RecordedEvent) -> bool {
    (args.event_type.is_empty() || args.event_type.contains(&event.event_type))
        && args.stream.as_ref().is_none_or(|s| s == event.stream_id.as_str())
        && args.category.as_ref().is_none_or(|c| c == event.stream_id.category())
}

/// `folio events tail`: the log from `--from` (default: the last 20 events), filtered; with
/// `--follow`, then every new event as it commits, until interrupted.
pub async fn tail(args: EventsTailArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let head = store.head().await?;
    let from = args.from.unwrap_or_else(|| head.saturating_sub(20));
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.follow {
        let mut events = if args.event_type.is_empty() {
            store.subscribe_all(from)
        } else {
            store.subscribe_types(from, args.event_type.clone())
        };
        loop {
            tokio::select! {
                next = events.next() => match next {
                    Some(event) => {
                        let event = event?;
                        if wanted(&args, &event) {
                            line(&mut out, &event)?;
                            out.flush().map_err(|e| CliError::Output(e.to_string()))?;
                        }
                    }
                    None => return Ok(()),
                },
                _ = crate::read::shutdown_signal() => return out.flush().map_err(|e| CliError::Output(e.to_string())),
            }
        }
    }
    let mut after = from;
    while after < head {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for event in page.iter().filter(|e| e.position <= head && wanted(&args, e)) {
            line(&mut out, event)?;
        }
    }
    out.flush().map_err(|e| CliError::Output(e.to_string()))
}

/// Reads the log over (`from`, `to`] page by page, handing each event to `each`.
async fn scan(
    store: &dyn EventStore,
    from: Position,
    to: Position,
    progress: &ProgressBar,
    mut each: impl FnMut(&RecordedEvent) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let (mut after, mut count) = (from, 0u64);
    while after < to {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for event in page.iter().filter(|e| e.position <= to) {
            each(event)?;
            count += 1;
        }
        progress.set_position(after - from);
    }
    progress.finish_and_clear();
    Ok(count)
}

/// `folio events export`: the log over (`--from`, `--to`] as NDJSON, to `--output` or stdout.
pub async fn export(args: EventsExportArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let to = match args.to {
        Some(to) => to,
        None => store.head().await?,
    };
    let from = args.from.unwrap_or(0);
    let progress = if args.output.is_some() { bar(to.saturating_sub(from), "events") } else { ProgressBar::hidden() };
    let sink = crate::ndjson_file::sink(args.output.as_deref(), args.zstd)?;
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let count = scan(store.as_ref(), from, to, &progress, |event| line(&mut out, event)).await?;
    out.flush().map_err(|e| CliError::Output(e.to_string()))?;
    tracing::info!(count, from, to, "exported");
    if args.output.is_some() {
        let _ = writeln!(std::io::stdout().lock(), "exported {count} events ({from}, {to}]");
    }
    Ok(())
}

/// `folio events import <file>`: appends the file's events in order, in chunks (COPY on
/// PostgreSQL; into an empty PostgreSQL store, all in one transaction, `crate::import_chunks`);
/// events already stored are skipped. The file is parsed on a thread of its own while the
/// previous chunk is being written.
pub async fn import(args: EventsImportArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let source = crate::ndjson_file::open(&args.file)?;
    let progress = bar(source.size, "bytes");
    let read = source.read.clone();
    let (chunks, mut parsed) = tokio::sync::mpsc::channel::<ImportFeed>(2);
    let (path, batch) = (args.file.clone(), args.batch as usize);
    let parser = tokio::task::spawn_blocking(move || {
        crate::ndjson_file::chunks(source, &path, batch, |chunk| {
            chunks.blocking_send(ImportFeed::Chunk(chunk.into_iter().map(ImportedEvent::from).collect())).is_ok()
        })?;
        // Only a file read to its end is a whole import.
        let _ = chunks.blocking_send(ImportFeed::End);
        Ok::<_, CliError>(())
    });
    let imported = crate::import_chunks::import_chunks(store.as_ref(), &mut parsed, &progress, |bar, _| {
        bar.set_position(read.load(std::sync::atomic::Ordering::Relaxed));
    });
    let imported = imported.await;
    drop(parsed);
    // A malformed line ends the file early and the error names the line. Chunk by chunk, what
    // came before it is imported (in order, and a re-import skips it); into an empty PostgreSQL
    // store, in one transaction, nothing is.
    parser.await.map_err(|e| CliError::Input(format!("{}: {e}", args.file.display())))??;
    let crate::import_chunks::Imported { imported, skipped, in_one_transaction } = imported?;
    progress.finish_and_clear();
    let how = if in_one_transaction { " in one transaction into the empty store" } else { "" };
    let _ = writeln!(std::io::stdout().lock(), "imported {imported} events ({skipped} already stored){how}");
    Ok(())
}

/// `folio events stats`: counts by event type and by stream category over (`--from`, `--to`].
pub async fn stats(args: EventsStatsArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let to = match args.to {
        Some(to) => to,
        None => store.head().await?,
    };
    let from = args.from.unwrap_or(0);
    let (mut by_type, mut by_category) = (BTreeMap::<String, u64>::new(), BTreeMap::<String, u64>::new());
    let progress = bar(to.saturating_sub(from), "events");
    let total = scan(store.as_ref(), from, to, &progress, |event| {
        *by_type.entry(event.event_type.clone()).or_default() += 1;
        *by_category.entry(event.stream_id.category().to_owned()).or_default() += 1;
        Ok(())
    })
    .await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let body =
            serde_json::json!({"from": from, "to": to, "total": total, "by_type": by_type, "by_category": by_category});
        let _ = writeln!(out, "{body}");
        return Ok(());
    }
    let _ = writeln!(out, "{total} events in ({from}, {to}]");
    let _ = writeln!(out, "by type:");
    for (name, count) in &by_type {
        let _ = writeln!(out, "  {name:<24} {count:>12}");
    }
    let _ = writeln!(out, "by stream category:");
    for (name, count) in &by_category {
        let _ = writeln!(out, "  {name:<24} {count:>12}");
    }
    Ok(())
}
