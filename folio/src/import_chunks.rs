//! One import of many chunks, as `folio seed` and `folio events import` run it: into an empty
//! store in ONE transaction where the backend can (`EventStore::import_into_empty`: the log's
//! indexes built once at the end), chunk by chunk otherwise (each chunk a transaction, so an
//! interrupted import resumes where it stopped when run again).
//!
//! The producer sends `ImportFeed::End` after its last chunk. One that stops before (an
//! error, a panic) leaves nothing stored in one transaction, and the chunks it sent stored
//! chunk by chunk (running the import again skips them); its own error is the one to report.

use indicatif::ProgressBar;
use infra::{BulkStep, EventStore, ImportError, ImportFeed};
use tokio::sync::mpsc;

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub imported: u64,
    /// Events already stored (identical), left as they were.
    pub skipped: u64,
    /// Whether the whole import was one transaction into an empty store.
    pub in_one_transaction: bool,
}

/// Imports every chunk `chunks` yields until `ImportFeed::End`. `advance` moves `bar` on after
/// each chunk written, by its number of events; the bar says when the indexes are being built.
/// A channel closed before `End` is `ImportError::SourceStopped` in one transaction; chunk by
/// chunk, what came before stays and the count of it is returned.
pub async fn import_chunks(
    store: &dyn EventStore,
    chunks: &mut mpsc::Receiver<ImportFeed>,
    bar: &ProgressBar,
    advance: impl Fn(&ProgressBar, u64) + Send + Sync,
) -> Result<Imported, ImportError> {
    let step = |step: BulkStep| match step {
        BulkStep::Copied(events) => advance(bar, events),
        BulkStep::BuildingIndexes => bar.set_message("all written; building the log's indexes"),
    };
    if let Some(result) = store.import_into_empty(chunks, &step).await? {
        // An empty source wrote nothing, in no transaction to speak of.
        let in_one_transaction = result.imported > 0;
        return Ok(Imported { imported: result.imported, skipped: result.skipped, in_one_transaction });
    }
    let mut done = Imported { imported: 0, skipped: 0, in_one_transaction: false };
    while let Some(ImportFeed::Chunk(chunk)) = chunks.recv().await {
        let size = chunk.len() as u64;
        let result = store.import(chunk).await?;
        (done.imported, done.skipped) = (done.imported + result.imported, done.skipped + result.skipped);
        advance(bar, size);
    }
    Ok(done)
}
