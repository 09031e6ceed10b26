//! Before the first window on PostgreSQL, the read models' pages the shapes read are loaded
//! (`perf/sql/prewarm.sql`, with the `pg_prewarm` extension): a serving database holds them,
//! and after a restart of the machine the first windows measured disk reads instead (detail at
//! 6,446/s against 18,899/s after loading them, perf/RESULTS.md 2026-12-08).

use super::say;
use crate::Error;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use std::time::Instant;

const PREWARM: &str = include_str!("../../sql/prewarm.sql");

/// Loads the pages; what was loaded, or why nothing was (no `pg_prewarm` available, or no right
/// to create the extension), for the report.
pub async fn prewarm(url: &str) -> Result<Value, Error> {
    let mut db = PgConnection::connect(url).await?;
    if let Err(error) = sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_prewarm").execute(&mut db).await {
        say(&format!("not loading the read models' pages first: {error}"));
        return Ok(json!({"skipped": error.to_string()}));
    }
    let began = Instant::now();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(PREWARM).fetch_all(&mut db).await?;
    let megabytes: i64 = rows.iter().map(|(_, mb, _)| mb).sum();
    let seconds = began.elapsed().as_secs_f64();
    say(&format!("loaded {} relations of the read models, {megabytes} MB, in {seconds:.1} s", rows.len()));
    Ok(json!({"relations": rows.len(), "megabytes": megabytes, "seconds": seconds}))
}
