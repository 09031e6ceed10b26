//! Catch-up: every projection from position 0 to the store's head into fresh PostgreSQL read
//! models, concurrently, as after `folio projections reset` or on a new replica.

use crate::measure::histogram;
use infra::EventStore;
use projectors::{all_projections, ReadStore, Runner, RunnerConfig, StoreFeed};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Drops the read-model schema so the run starts from nothing.
pub async fn reset(url: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", projectors::read_store::POSTGRES_SCHEMA))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Runs every projection to `head`; returns per-projection seconds and the whole run's.
pub async fn run(
    store: Arc<dyn EventStore>,
    read: &ReadStore,
    config: RunnerConfig,
    only: &[String],
) -> Result<Value, Box<dyn std::error::Error>> {
    let head = store.head().await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    let projections: Vec<_> =
        all_projections().into_iter().filter(|p| only.is_empty() || only.iter().any(|o| o == p.name())).collect();
    // Each projection reads the log on its own, so one projection's heavy stretch (content's
    // million items) overlaps another's (engagement's views); a shared read would serialize them.
    for projection in projections {
        let feed = Box::new(StoreFeed::new(store.clone()));
        let mut runner = Runner::new(projection, read.clone(), feed, None, config).await?;
        tasks.push(tokio::spawn(async move {
            let name = runner.name();
            let began = Instant::now();
            runner.run_until(head).await.map(|_| (name, began.elapsed()))
        }));
    }
    let progress = {
        let read = read.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                if let Ok(rows) = read.checkpoints().await {
                    let line: Vec<String> = rows.iter().map(|r| format!("{} {}", r.projection, r.position)).collect();
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{:>5.0}s] of {head}: {}",
                        started.elapsed().as_secs_f64(),
                        line.join(", ")
                    );
                }
            }
        })
    };
    let mut per_projection = serde_json::Map::new();
    for task in tasks {
        let (name, took) = task.await??;
        per_projection.insert(
            name.into(),
            json!({"seconds": took.as_secs_f64(), "events_per_second": head as f64 / took.as_secs_f64()}),
        );
    }
    progress.abort();
    let took = started.elapsed();
    Ok(json!({
        "events": head,
        "seconds": took.as_secs_f64(),
        "events_per_second": head as f64 / took.as_secs_f64(),
        "projections": per_projection,
    }))
}

/// Sizes of the read-model tables on disk (with their indexes and, for user_items, every
/// partition), in bytes.
pub async fn sizes(url: &str) -> Result<Value, sqlx::Error> {
    let pool = sqlx::PgPool::connect(url).await?;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT t.relname::text, \
                (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = t.oid)::int8, \
                (pg_total_relation_size(t.oid) + (SELECT COALESCE(sum(pg_total_relation_size(i.inhrelid)), 0) \
                    FROM pg_inherits i WHERE i.inhparent = t.oid))::int8 \
         FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = $1 AND t.relkind IN ('r', 'p') AND NOT t.relispartition ORDER BY 1",
    )
    .bind(projectors::read_store::POSTGRES_SCHEMA)
    .fetch_all(&pool)
    .await?;
    let counts: Vec<(String, i64)> = {
        let mut out = Vec::new();
        for (table, _, _) in &rows {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {}.{table}",
                projectors::read_store::POSTGRES_SCHEMA
            ))
            .fetch_one(&pool)
            .await?;
            out.push((table.clone(), n));
        }
        out
    };
    pool.close().await;
    Ok(rows
        .into_iter()
        .zip(counts)
        .map(|((table, partitions, bytes), (_, count))| json!({"table": table, "rows": count, "partitions": partitions, "bytes": bytes}))
        .collect())
}

/// Latency of the two user_items lookups the query API will make, one at a time, for
/// `samples` random users: a history page (20 newest) and a state read for 20 items.
pub async fn lookups(read: &ReadStore, users: u64, samples: u64) -> Result<Value, Box<dyn std::error::Error>> {
    let ReadStore::Postgres(pool) = read else { return Err("lookups are measured on PostgreSQL".into()) };
    let mut rng = fastrand::Rng::with_seed(11);
    let mut history = histogram();
    let mut state = histogram();
    let mut found = 0_u64;
    for _ in 0..samples {
        let user = (rng.u64(1..=users)).to_string();
        let began = Instant::now();
        let page: Vec<(uuid::Uuid,)> = sqlx::query_as(
            "SELECT item_id FROM user_items WHERE user_id = $1 AND last_viewed_at IS NOT NULL \
             ORDER BY last_viewed_at DESC, item_id LIMIT 20",
        )
        .bind(&user)
        .fetch_all(pool)
        .await?;
        history.record(began.elapsed().as_micros().max(1) as u64)?;
        found += page.len() as u64;
        let items: Vec<uuid::Uuid> = page.into_iter().map(|(id,)| id).collect();
        let began = Instant::now();
        let _: Vec<(uuid::Uuid, Option<bool>, Option<bool>)> = sqlx::query_as(
            "SELECT item_id, liked, bookmarked FROM user_items WHERE user_id = $1 AND item_id = ANY($2)",
        )
        .bind(&user)
        .bind(&items)
        .fetch_all(pool)
        .await?;
        state.record(began.elapsed().as_micros().max(1) as u64)?;
    }
    let figures = |h: &hdrhistogram::Histogram<u64>| json!({"p50_ms": h.value_at_quantile(0.5) as f64 / 1000.0, "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0, "max_ms": h.max() as f64 / 1000.0});
    Ok(
        json!({"samples": samples, "rows_per_history_page": found as f64 / samples as f64, "history_20": figures(&history), "state_20": figures(&state)}),
    )
}
