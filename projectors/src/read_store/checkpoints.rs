//! Checkpoints and parked events, kept beside the read models they describe.

use super::{ReadStore, ReadTx};
use crate::time::{from_micros, micros};
use chrono::{DateTime, Utc};
use events::{EventId, Position};
use uuid::Uuid;

/// A projection's (or the relay's) progress, as `folio projections status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub projection: String,
    pub position: Position,
    pub state: String,
    pub last_event_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An event a projection gave up on, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    pub projection: String,
    pub position: Position,
    pub event_id: EventId,
    pub event_type: String,
    pub error: String,
    pub attempts: u32,
}

fn to_i64(position: Position) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

fn to_position(value: i64) -> Position {
    Position::try_from(value).unwrap_or(0)
}

impl ReadStore {
    /// The position `projection` has applied up to (0 when it never ran).
    pub async fn checkpoint(&self, projection: &str) -> Result<Position, sqlx::Error> {
        let position: Option<i64> = match self {
            Self::Postgres(pool) => {
                sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE projection = $1")
                    .bind(projection)
                    .fetch_optional(pool)
                    .await?
            }
            Self::Sqlite(pool) => {
                sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE projection = $1")
                    .bind(projection)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(position.map_or(0, to_position))
    }

    /// Every checkpoint row, by name.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, sqlx::Error> {
        const SQL: &str = "SELECT projection, position, state FROM projection_checkpoints ORDER BY projection";
        let rows: Vec<(String, i64, String)> = match self {
            Self::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
            Self::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
        };
        let mut out = Vec::with_capacity(rows.len());
        for (projection, position, state) in rows {
            let (last_event_at, updated_at) = self.checkpoint_times(&projection).await?;
            out.push(CheckpointRow { projection, position: to_position(position), state, last_event_at, updated_at });
        }
        Ok(out)
    }

    async fn checkpoint_times(&self, projection: &str) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>), sqlx::Error> {
        const SQL: &str = "SELECT last_event_at, updated_at FROM projection_checkpoints WHERE projection = $1";
        Ok(match self {
            Self::Postgres(pool) => sqlx::query_as(SQL).bind(projection).fetch_one(pool).await?,
            Self::Sqlite(pool) => {
                let (last, updated): (Option<i64>, i64) = sqlx::query_as(SQL).bind(projection).fetch_one(pool).await?;
                (last.map(from_micros), from_micros(updated))
            }
        })
    }

    /// Records what a projection is doing: `running`, `halted` (its runner stopped on an error
    /// it could not get past), or `rebuilding`.
    pub async fn set_state(&self, projection: &str, state: &str) -> Result<(), sqlx::Error> {
        match self {
            Self::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO projection_checkpoints (projection, state) VALUES ($1, $2) \
                     ON CONFLICT (projection) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
                )
                .bind(projection)
                .bind(state)
                .execute(pool)
                .await?;
            }
            Self::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO projection_checkpoints (projection, state, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (projection) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                )
                .bind(projection)
                .bind(state)
                .bind(micros(Utc::now()))
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Events `projection` parked, oldest first.
    pub async fn parked(&self, projection: &str) -> Result<Vec<ParkedEvent>, sqlx::Error> {
        const SQL: &str = "SELECT position, event_id, event_type, error, attempts FROM projection_parked \
                           WHERE projection = $1 ORDER BY position";
        let rows: Vec<(i64, Uuid, String, String, i32)> = match self {
            Self::Postgres(pool) => sqlx::query_as(SQL).bind(projection).fetch_all(pool).await?,
            Self::Sqlite(pool) => sqlx::query_as(SQL).bind(projection).fetch_all(pool).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(position, event_id, event_type, error, attempts)| ParkedEvent {
                projection: projection.to_owned(),
                position: to_position(position),
                event_id: EventId(event_id),
                event_type,
                error,
                attempts: u32::try_from(attempts).unwrap_or(0),
            })
            .collect())
    }
}

impl ReadTx {
    /// Locks `projection`'s checkpoint row for the rest of the transaction (creating it at 0)
    /// and returns its position. Two runners of one projection thus take turns, and the second
    /// sees where the first left it.
    pub async fn lock_checkpoint(&mut self, projection: &str) -> Result<Position, sqlx::Error> {
        let position: i64 = match self {
            Self::Postgres(tx) => {
                sqlx::query(
                    "INSERT INTO projection_checkpoints (projection, position) VALUES ($1, 0) \
                     ON CONFLICT (projection) DO NOTHING",
                )
                .bind(projection)
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE projection = $1 FOR UPDATE")
                    .bind(projection)
                    .fetch_one(&mut **tx)
                    .await?
            }
            // BEGIN IMMEDIATE already made this transaction the only writer.
            Self::Sqlite(tx) => {
                sqlx::query(
                    "INSERT INTO projection_checkpoints (projection, position, updated_at) VALUES ($1, 0, $2) \
                     ON CONFLICT (projection) DO NOTHING",
                )
                .bind(projection)
                .bind(micros(Utc::now()))
                .execute(&mut **tx)
                .await?;
                sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE projection = $1")
                    .bind(projection)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        Ok(to_position(position))
    }

    /// Moves `projection`'s checkpoint to `position` (never backwards: a lower position is a bug
    /// in the runner and fails the transaction).
    pub async fn save_checkpoint(
        &mut self,
        projection: &str,
        position: Position,
        last_event_at: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        let rows = match self {
            Self::Postgres(tx) => sqlx::query(
                "INSERT INTO projection_checkpoints (projection, position, last_event_at, updated_at) \
                 VALUES ($1, $2, $3, now()) \
                 ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, \
                   last_event_at = COALESCE(EXCLUDED.last_event_at, projection_checkpoints.last_event_at), \
                   updated_at = now() \
                 WHERE projection_checkpoints.position <= EXCLUDED.position",
            )
            .bind(projection)
            .bind(to_i64(position))
            .bind(last_event_at)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
            Self::Sqlite(tx) => sqlx::query(
                "INSERT INTO projection_checkpoints (projection, position, last_event_at, updated_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (projection) DO UPDATE SET position = excluded.position, \
                   last_event_at = COALESCE(excluded.last_event_at, projection_checkpoints.last_event_at), \
                   updated_at = excluded.updated_at \
                 WHERE projection_checkpoints.position <= excluded.position",
            )
            .bind(projection)
            .bind(to_i64(position))
            .bind(last_event_at.map(micros))
            .bind(micros(Utc::now()))
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        };
        if rows == 1 {
            Ok(())
        } else {
            Err(sqlx::Error::Protocol(format!("checkpoint of {projection} would move backwards to {position}")))
        }
    }

    /// Records that `projection` skipped an event it could not apply.
    pub async fn park(&mut self, parked: &ParkedEvent) -> Result<(), sqlx::Error> {
        let attempts = i32::try_from(parked.attempts).unwrap_or(i32::MAX);
        match self {
            Self::Postgres(tx) => {
                sqlx::query(
                    "INSERT INTO projection_parked (projection, position, event_id, event_type, error, attempts) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (projection, position) DO UPDATE \
                     SET error = EXCLUDED.error, attempts = EXCLUDED.attempts, parked_at = now()",
                )
                .bind(&parked.projection)
                .bind(to_i64(parked.position))
                .bind(parked.event_id.0)
                .bind(&parked.event_type)
                .bind(&parked.error)
                .bind(attempts)
                .execute(&mut **tx)
                .await?;
            }
            Self::Sqlite(tx) => {
                sqlx::query(
                    "INSERT INTO projection_parked (projection, position, event_id, event_type, error, attempts, parked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (projection, position) DO UPDATE \
                     SET error = excluded.error, attempts = excluded.attempts, parked_at = excluded.parked_at",
                )
                .bind(&parked.projection)
                .bind(to_i64(parked.position))
                .bind(parked.event_id.0)
                .bind(&parked.event_type)
                .bind(&parked.error)
                .bind(attempts)
                .bind(micros(Utc::now()))
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }
}
