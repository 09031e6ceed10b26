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
//! refused with [`RunnerError::RebuildRunning`]. A command rebuilding several projections takes
//! every lock before it opens any next version, so a refusal leaves all of them untouched.
//!
//! PostgreSQL's lock lives as long as its connection: a rebuild checks it is still held
//! ([`RebuildLock::check`]) after each catch-up step and before its switch, and stops if the
//! connection ended (a timeout, a network drop, `pg_terminate_backend`) rather than go on
//! unprotected.

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

impl RebuildLock {
    /// Fails unless the lock is still held (PostgreSQL: its connection is alive and holds its
    /// advisory lock; a `flock` is held until the file is closed).
    pub async fn check(&mut self, projection: &str) -> Result<(), RunnerError> {
        let Self::Postgres(conn) = self else { return Ok(()) };
        let held: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() \
             AND granted)",
        )
        .fetch_one(conn)
        .await
        .map_err(|e| RunnerError::Rebuild(format!("the rebuild lock of {projection} was lost: {e}")))?;
        if held {
            Ok(())
        } else {
            Err(RunnerError::Rebuild(format!("the rebuild lock of {projection} was lost")))
        }
    }
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
            let failed = |e: std::io::Error| RunnerError::Rebuild(format!("locking {}: {e}", path.display()));
            let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(failed)?;
            loop {
                match file.try_lock() {
                    Ok(()) => return Ok(RebuildLock::Sqlite(file)),
                    Err(TryLockError::WouldBlock) => {
                        wait_or_refuse(started, projection, &path.display().to_string()).await?;
                    }
                    Err(TryLockError::Error(error)) => return Err(failed(error)),
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
    let mut path = super::sqlite::path_of(live, projection).into_os_string();
    path.push(".lock");
    PathBuf::from(path)
}
