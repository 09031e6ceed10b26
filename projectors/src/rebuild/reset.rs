//! Reset (start a projection over in place) and replay of parked events.

use crate::projection::Decoded;
use crate::read_store::{ParkedEvent, ReadStore, ReadTx};
use crate::{Projection, RunnerError};
use infra::EventStore;

/// Empties `projection`'s tables, its parked events, and sets its checkpoint to 0, in one
/// transaction that holds the checkpoint row. The live runner then finds its checkpoint moved
/// and applies the whole log again; readers see the projection empty until it catches up (a
/// rebuild avoids that).
pub async fn reset(read: &ReadStore, projection: &dyn Projection) -> Result<(), RunnerError> {
    let name = projection.name();
    let mut tx = read.begin().await?;
    tx.lock_checkpoint(name).await?;
    for table in projection.tables() {
        let exists = match &mut tx {
            ReadTx::Postgres(tx) => {
                sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
                    .bind(*table)
                    .fetch_one(&mut **tx)
                    .await?
            }
            ReadTx::Sqlite(tx) => crate::sqlite_rows::table_exists(&mut **tx, table).await?,
        };
        if exists {
            execute(&mut tx, &format!("DELETE FROM {table}"), name).await?;
        }
    }
    execute(&mut tx, "DELETE FROM projection_parked WHERE projection = $1", name).await?;
    execute(
        &mut tx,
        "UPDATE projection_checkpoints SET position = 0, last_event_at = NULL, state = 'running' WHERE projection = $1",
        name,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn execute(tx: &mut ReadTx, sql: &str, name: &str) -> Result<(), sqlx::Error> {
    let with_name = sql.contains("$1");
    match tx {
        ReadTx::Postgres(tx) => {
            let query = sqlx::query(sql);
            let query = if with_name { query.bind(name) } else { query };
            query.execute(&mut **tx).await?;
        }
        ReadTx::Sqlite(tx) => {
            let query = sqlx::query(sql);
            let query = if with_name { query.bind(name) } else { query };
            query.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// What a replay of parked events did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    pub applied: usize,
    /// Those that failed again: they stay parked; here with the new error.
    pub still_parked: Vec<ParkedEvent>,
}

/// Applies each parked event of `projection` again (after a fix), oldest first, each in its
/// own transaction that also removes it from the parked table. The checkpoint does not move:
/// these events are behind it, skipped when they first failed.
pub async fn replay_parked(
    store: &dyn EventStore,
    read: &ReadStore,
    projection: &dyn Projection,
) -> Result<Replayed, RunnerError> {
    let mut report = Replayed::default();
    for parked in read.parked(projection.name()).await? {
        let outcome = async {
            let recorded = store
                .event_by_id(parked.event_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "the event is no longer in the store".to_owned())?;
            let decoded = Decoded::decode(recorded).map_err(|e| e.to_string())?;
            let mut tx = read.begin().await.map_err(|e| e.to_string())?;
            projection.apply(&mut tx, std::slice::from_ref(&decoded)).await.map_err(|e| e.to_string())?;
            let position = i64::try_from(parked.position).unwrap_or(i64::MAX);
            match &mut tx {
                ReadTx::Postgres(t) => {
                    sqlx::query("DELETE FROM projection_parked WHERE projection = $1 AND position = $2")
                        .bind(projection.name())
                        .bind(position)
                        .execute(&mut **t)
                        .await
                        .map(drop)
                }
                ReadTx::Sqlite(t) => {
                    sqlx::query("DELETE FROM projection_parked WHERE projection = $1 AND position = $2")
                        .bind(projection.name())
                        .bind(position)
                        .execute(&mut **t)
                        .await
                        .map(drop)
                }
            }
            .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())
        }
        .await;
        match outcome {
            Ok(()) => report.applied += 1,
            Err(error) => report.still_parked.push(ParkedEvent { error, ..parked }),
        }
    }
    Ok(report)
}
