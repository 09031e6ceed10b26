//! Opening a SQLite file that another process may be creating at the same moment.
//!
//! sqlx takes no lock around SQLite migrations, and switching a new file to WAL needs it alone:
//! two processes opening a new file together (a `folio serve` starting while a
//! `folio projections status` runs) can fail with "database is locked", or the slower one on a
//! table the faster one has just created, or, when a migration succeeds twice (one that rebuilds
//! a table), on recording it: the faster one recorded that version first, and the slower one's
//! transaction, the migration included, rolls back. Opening again is then safe: the next attempt reads
//! what the other process committed and applies only the migrations still missing (checking the
//! applied ones' checksums as always).

use std::future::Future;
use std::time::Duration;

/// Runs `open`, again (a few times, backing off) while it fails because another process is
/// creating the same file.
pub async fn retrying<T, E, F, Fut>(mut open: F) -> Result<T, E>
where
    E: std::error::Error,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 0u64;
    loop {
        match open().await {
            Ok(opened) => return Ok(opened),
            Err(error) if attempt < 8 && raced(&error) => {
                attempt += 1;
                tracing::info!(%error, attempt, "another process is creating this SQLite file; opening again");
                tokio::time::sleep(Duration::from_millis(25 * attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether `error`, or any error under it, says another process holds or has made the file.
fn raced(error: &dyn std::error::Error) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if text.contains("database is locked")
            || text.contains("already exists")
            || text.contains("UNIQUE constraint failed: _sqlx_migrations.version")
        {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Text(&'static str);

    #[test]
    fn another_process_creating_the_file_is_a_race_other_errors_are_not() {
        assert!(raced(&Text("database is locked")));
        assert!(raced(&Text("table content_items already exists")));
        assert!(raced(&Text("UNIQUE constraint failed: _sqlx_migrations.version")));
        assert!(!raced(&Text("UNIQUE constraint failed: content_items.id")));
        assert!(!raced(&Text("no such table: content_items")));
    }
}
