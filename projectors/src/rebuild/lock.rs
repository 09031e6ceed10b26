//! One rebuild of a projection at a time.
//!
//! Two rebuilds of one projection would build the same next version: the second's `--restart`
//! drops the tables (or the file) the first is writing, and the first's switch then fails, or
//! swaps in a version the second is still writing. A rebuild therefore holds a lock per
//! projection from before it opens the next version until it is dropped:
//! - PostgreSQL: a session advisory lock on a connection of its own, keyed by the projection's
//!   name; the server releases it when that connection ends, a crash included.
//! - SQLite: an exclusive `flock` on `<read file>.rebuild-<projection>.lock`, which the kernel
//!   releases when the process exits. The lock file is left in place (removing a file another
//!   process may be locking would let two processes lock two different files).
//!
//! A lock still held after [`WAIT`] (a dropped connection's backend may take a moment to end) is
//! refused with [`RunnerError::RebuildRunning`].

use crate::read_store::ReadStore;
use crate::RunnerError;
use sqlx::{Connection, PgConnection};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long an attempt waits for a lock held by another rebuild to be released.
pub const WAIT: Duration = Duration::from_secs(3);

const RETRY: Duration = Duration::from_millis(50);

/// Held while a rebuild runs; released when dropped.
#[derive(Debug)]
pub enum RebuildLock {
    Postgres(PgConnection),
    Sqlite(File),
}

/// Takes the rebuild lock of `projection` on `live`'s database.
pub async fn acquire(live: &ReadStore, projection: &str) -> Result<RebuildLock, RunnerError> {
    let started = Instant::now();
    match live {
        ReadStore::Postgres(pool) => {
            let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
            loop {
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                    .bind(format!("folio rebuild {projection}"))
                    .fetch_one(&mut conn)
                    .await?;
                if locked {
                    return Ok(RebuildLock::Postgres(conn));
                }
                wait_or_refuse(started, projection, "this database").await?;
            }
        }
        ReadStore::Sqlite(pool) => {
            let path = lock_path(pool, projection);
            let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            loop {
                match file.try_lock() {
                    Ok(()) => return Ok(RebuildLock::Sqlite(file)),
                    Err(TryLockError::WouldBlock) => {
                        wait_or_refuse(started, projection, &path.display().to_string()).await?;
                    }
                    Err(TryLockError::Error(error)) => return Err(error.into()),
                }
            }
        }
    }
}

async fn wait_or_refuse(started: Instant, projection: &str, place: &str) -> Result<(), RunnerError> {
    if started.elapsed() >= WAIT {
        return Err(RunnerError::RebuildRunning { projection: projection.to_owned(), place: place.to_owned() });
    }
    tokio::time::sleep(RETRY).await;
    Ok(())
}

fn lock_path(live: &sqlx::SqlitePool, projection: &str) -> PathBuf {
    let file = live.connect_options().get_filename().to_path_buf();
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".rebuild-{projection}.lock"));
    file.with_file_name(name)
}
