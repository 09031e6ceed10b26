//! The files `folio events export` writes and `folio events import` reads: NDJSON, plain or
//! zstd-compressed (chosen by a `.zst` name on export, recognised by its magic bytes on import).

use crate::error::CliError;
use events::RecordedEvent;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The first bytes of every zstd frame (RFC 8878, section 3.1.1).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// zstd's default level: about 5x smaller NDJSON at several hundred MB/s.
const ZSTD_LEVEL: i32 = 3;

/// Where an export goes: `path` (compressed when it ends in `.zst`, or when `zstd`) or stdout.
pub fn sink(path: Option<&Path>, zstd: bool) -> Result<Box<dyn Write>, CliError> {
    let output = |e: std::io::Error| {
        CliError::Output(format!("{}: {e}", path.map_or("stdout".into(), |p| p.display().to_string())))
    };
    let plain: Box<dyn Write> = match path {
        Some(path) => Box::new(std::fs::File::create(path).map_err(output)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let compressed = zstd || path.is_some_and(|p| p.extension().is_some_and(|e| e == "zst"));
    if compressed {
        let encoder = zstd::Encoder::new(plain, ZSTD_LEVEL).map_err(output)?;
        Ok(Box::new(encoder.auto_finish()))
    } else {
        Ok(plain)
    }
}

/// Counts the bytes read from the file (compressed bytes for a zstd file), for progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An export file opened for reading, plain or zstd.
pub struct Source {
    pub lines: Box<dyn BufRead + Send>,
    /// The file's size in bytes, and how many have been read so far.
    pub size: u64,
    pub read: Arc<AtomicU64>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("size", &self.size).finish_non_exhaustive()
    }
}

pub fn open(path: &Path) -> Result<Source, CliError> {
    let input = |e: std::io::Error| CliError::Input(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(input)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let mut buffered = BufReader::with_capacity(1 << 20, Counting { inner: file, read: read.clone() });
    let compressed = buffered.fill_buf().map_err(input)?.starts_with(&ZSTD_MAGIC);
    let lines: Box<dyn BufRead + Send> = if compressed {
        Box::new(BufReader::with_capacity(1 << 20, zstd::Decoder::with_buffer(buffered).map_err(input)?))
    } else {
        Box::new(buffered)
    };
    Ok(Source { lines, size, read })
}

/// Reads `source` in chunks of `chunk` events, handing each to `each`; stops at the first
/// malformed line (named by its number) or when `each` returns false.
pub fn chunks(
    source: Source,
    path: &Path,
    chunk: usize,
    mut each: impl FnMut(Vec<RecordedEvent>) -> bool,
) -> Result<(), CliError> {
    let mut pending = Vec::with_capacity(chunk);
    for (number, text) in source.lines.lines().enumerate() {
        let text = text.map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        if text.trim().is_empty() {
            continue;
        }
        let event: RecordedEvent = serde_json::from_str(&text)
            .map_err(|e| CliError::Input(format!("{} line {}: not a stored event: {e}", path.display(), number + 1)))?;
        pending.push(event);
        if pending.len() == chunk && !each(std::mem::replace(&mut pending, Vec::with_capacity(chunk))) {
            return Ok(());
        }
    }
    if !pending.is_empty() {
        each(pending);
    }
    Ok(())
}
