//! The PostgreSQL side of a rebuild: the next version in its own schema, swapped in by moving
//! tables between schemas in one transaction.

use super::Location;
use crate::read_store::{ReadStore, POSTGRES_SCHEMA};
use crate::RunnerError;
use events::Position;
use sqlx::PgPool;

fn schema_of(projection: &str) -> String {
    format!("folio_rebuild_{projection}")
}

pub async fn open(live: &PgPool, projection: &str, restart: bool) -> Result<(ReadStore, Location), RunnerError> {
    let schema = schema_of(projection);
    if restart {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(live).await?;
    }
    let options = (*live.connect_options()).clone().application_name("folio-rebuild");
    let next = ReadStore::postgres_in_schema(options, 4, &schema).await?;
    Ok((next, Location::Schema(schema)))
}

/// The tables to move: those of the projection that exist in `schema`, with their partitions.
async fn tables_in(tx: &mut sqlx::PgConnection, schema: &str, tables: &[&str]) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    for table in tables {
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2",
        )
        .bind(schema)
        .bind(table)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(name) = exists else { continue };
        out.push(name);
        let partitions: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace \
             WHERE n.nspname = $1 AND p.relname = $2 ORDER BY 1",
        )
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *tx)
        .await?;
        out.extend(partitions);
    }
    Ok(out)
}

/// Swaps the next version in; returns the schema now holding the previous version.
pub async fn switch(
    live: &PgPool,
    schema: &str,
    projection: &str,
    tables: &[&str],
    position: Position,
    drop_old: bool,
) -> Result<String, RunnerError> {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let old = format!("folio_old_{projection}_{stamp}");
    let mut tx = live.begin().await?;
    // The live runner takes this lock for every batch: from here it waits for the switch.
    sqlx::query(&format!(
        "SELECT position FROM {POSTGRES_SCHEMA}.projection_checkpoints WHERE projection = $1 FOR UPDATE"
    ))
    .bind(projection)
    .fetch_optional(&mut *tx)
    .await?;
    let moving_out = tables_in(&mut tx, POSTGRES_SCHEMA, tables).await?;
    let moving_in = tables_in(&mut tx, schema, tables).await?;
    sqlx::query(&format!("CREATE SCHEMA {old}")).execute(&mut *tx).await?;
    for table in &moving_out {
        sqlx::query(&format!("ALTER TABLE {POSTGRES_SCHEMA}.{table} SET SCHEMA {old}")).execute(&mut *tx).await?;
    }
    for table in &moving_in {
        sqlx::query(&format!("ALTER TABLE {schema}.{table} SET SCHEMA {POSTGRES_SCHEMA}")).execute(&mut *tx).await?;
    }
    let last_event_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar(&format!("SELECT last_event_at FROM {schema}.projection_checkpoints WHERE projection = $1"))
            .bind(projection)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
    sqlx::query(&format!(
        "INSERT INTO {POSTGRES_SCHEMA}.projection_checkpoints (projection, position, state, last_event_at) \
         VALUES ($1, $2, 'running', $3) ON CONFLICT (projection) DO UPDATE \
         SET position = EXCLUDED.position, state = 'running', last_event_at = EXCLUDED.last_event_at, updated_at = now()"
    ))
    .bind(projection)
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .bind(last_event_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!("DELETE FROM {POSTGRES_SCHEMA}.projection_parked WHERE projection = $1"))
        .bind(projection)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO {POSTGRES_SCHEMA}.projection_parked SELECT * FROM {schema}.projection_parked WHERE projection = $1"
    ))
    .bind(projection)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if drop_old {
        sqlx::query(&format!("DROP SCHEMA {old} CASCADE")).execute(live).await?;
    }
    Ok(old)
}

/// Drops what is left of the rebuild schema (the other projections' empty tables).
pub async fn discard(live: &ReadStore, schema: &str) -> Result<(), RunnerError> {
    if let ReadStore::Postgres(pool) = live {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(pool).await?;
    }
    Ok(())
}
