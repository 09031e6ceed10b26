//! Whether a rebuild applies the log with its projection's bulk variant
//! ([`crate::Projection::bulk_build`]), recorded in the next version itself (table
//! `folio_bulk_builds`, one row per projection), so a resumed rebuild knows what built the rows
//! it finds and whether their completion is done. The table goes away with the next version.

use crate::read_store::{ReadStore, ReadTx};
use events::Position;

/// How the next version is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkState {
    /// With the bulk variant; its completion is still to do.
    Building,
    /// With the projection itself (it has no variant, the completion is done, or the rows were
    /// built before bulk builds were recorded).
    Off,
}

/// What the record (`None`: no row; `Some(completed)`) says for a next version at `checkpoint`,
/// and whether a `Building` row must be recorded now. Pure.
pub fn decide(recorded: Option<bool>, has_variant: bool, checkpoint: Position) -> (BulkState, bool) {
    match recorded {
        Some(false) if has_variant => (BulkState::Building, false),
        Some(_) => (BulkState::Off, false),
        // Empty tables: the variant's rule holds only from the first event.
        None if has_variant && checkpoint == 0 => (BulkState::Building, true),
        None => (BulkState::Off, false),
    }
}

const CREATE: &str =
    "CREATE TABLE IF NOT EXISTS folio_bulk_builds (projection text PRIMARY KEY, completed boolean NOT NULL)";
const SELECT: &str = "SELECT completed FROM folio_bulk_builds WHERE projection = $1";
const INSERT: &str = "INSERT INTO folio_bulk_builds (projection, completed) VALUES ($1, false)";
const COMPLETE: &str = "UPDATE folio_bulk_builds SET completed = true WHERE projection = $1";

/// Reads (and, for a fresh next version, records) how `projection`'s next version is built.
pub async fn open(next: &ReadStore, projection: &str, has_variant: bool) -> Result<BulkState, sqlx::Error> {
    let checkpoint = next.checkpoint(projection).await?;
    let recorded: Option<bool> = match next {
        ReadStore::Postgres(pool) => {
            sqlx::query(CREATE).execute(pool).await?;
            sqlx::query_scalar(SELECT).bind(projection).fetch_optional(pool).await?
        }
        ReadStore::Sqlite(pool) => {
            sqlx::query(CREATE).execute(pool).await?;
            sqlx::query_scalar(SELECT).bind(projection).fetch_optional(pool).await?
        }
    };
    let (state, record) = decide(recorded, has_variant, checkpoint);
    if record {
        match next {
            ReadStore::Postgres(pool) => {
                sqlx::query(INSERT).bind(projection).execute(pool).await?;
            }
            ReadStore::Sqlite(pool) => {
                sqlx::query(INSERT).bind(projection).execute(pool).await?;
            }
        }
    }
    Ok(state)
}

/// Records, inside the completion's own transaction, that it is done.
pub async fn mark_completed(tx: &mut ReadTx, projection: &str) -> Result<(), sqlx::Error> {
    match tx {
        ReadTx::Postgres(tx) => {
            sqlx::query(COMPLETE).bind(projection).execute(&mut **tx).await?;
        }
        ReadTx::Sqlite(tx) => {
            sqlx::query(COMPLETE).bind(projection).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decide, BulkState};

    #[test]
    fn a_bulk_build_starts_only_on_empty_tables_and_ends_once() {
        assert_eq!(decide(None, true, 0), (BulkState::Building, true), "fresh: recorded, then built in bulk");
        assert_eq!(decide(Some(false), true, 500), (BulkState::Building, false), "resumed mid-way");
        assert_eq!(decide(Some(true), true, 500), (BulkState::Off, false), "completed: never twice");
        assert_eq!(decide(None, true, 500), (BulkState::Off, false), "rows built without the variant");
        assert_eq!(decide(None, false, 0), (BulkState::Off, false), "no variant");
    }
}
