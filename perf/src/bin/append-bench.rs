//! Append benchmark: N concurrent appenders of single-event appends, each to a new stream, on
//! each backend with fsync on; beside it, in the same run, the database alone doing the same
//! one-row INSERT (pgbench for PostgreSQL; a bare connection for SQLite).
//!
//! `cargo run --release -p perf --bin append-bench -- --help`; `perf/append.sh` runs it as committed.

use chrono::Utc;
use clap::Parser;
use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::{EventStore, GroupCommitConfig, StoreConfig};
use perf::measure::{histogram, Figures};
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// Concurrent appenders, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    appenders: Vec<usize>,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up seconds before each measured window.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// PostgreSQL admin URL; each run creates and drops its own database.
    #[arg(long, env = "FOLIO_BENCH_PG_URL", default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
    pg_url: String,
    /// Folder for SQLite files (default: a temporary folder).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Group commit linger in microseconds.
    #[arg(long, default_value_t = 0)]
    max_wait_us: u64,
    /// Write every raw figure here as JSON.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPED: u8 = 2;

fn payload() -> (Value, Metadata) {
    let data = json!({
        "content_type": "article",
        "content_id": uuid::Uuid::now_v7(),
        "user": "42017",
        "at": Utc::now(),
    });
    let metadata = Metadata {
        actor: Some("key-0190a8e41c7e7c1a".into()),
        request_id: Some(uuid::Uuid::now_v7().to_string()),
        correlation_id: Some(uuid::Uuid::now_v7()),
        causation_id: None,
    };
    (data, metadata)
}

fn new_event() -> NewEvent {
    let (data, metadata) = payload();
    NewEvent { event_id: EventId::now_v7(), event_type: "ContentViewed".into(), schema_version: 1, data, metadata }
}

async fn measure_folio(store: Arc<dyn EventStore>, appenders: usize, args: &Args) -> Figures {
    let phase = Arc::new(AtomicU8::new(WARMING));
    let mut tasks = Vec::new();
    for _ in 0..appenders {
        let store = store.clone();
        let phase = phase.clone();
        tasks.push(tokio::spawn(async move {
            let mut latency = histogram();
            let (mut operations, mut errors) = (0u64, 0u64);
            loop {
                let state = phase.load(Ordering::Relaxed);
                if state == STOPPED {
                    break;
                }
                let stream =
                    StreamId::parse(format!("bench-{}", uuid::Uuid::now_v7())).unwrap_or_else(|_| unreachable!());
                let started = Instant::now();
                let outcome = store.append(stream, ExpectedVersion::NoStream, vec![new_event()]).await;
                if state == MEASURING && phase.load(Ordering::Relaxed) == MEASURING {
                    match outcome {
                        Ok(_) => {
                            let _ = latency.record((started.elapsed().as_micros() as u64).max(1));
                            operations += 1;
                        }
                        Err(_) => errors += 1,
                    }
                }
            }
            (latency, operations, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    phase.store(MEASURING, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    phase.store(STOPPED, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut figures = Figures { operations: 0, elapsed, latency: histogram(), errors: 0 };
    for task in tasks {
        if let Ok((latency, operations, errors)) = task.await {
            let _ = figures.latency.add(&latency);
            figures.operations += operations;
            figures.errors += errors;
        }
    }
    figures
}

fn store_config(appenders: usize, args: &Args) -> StoreConfig {
    StoreConfig {
        group_commit: GroupCommitConfig { max_batch_events: 1000, max_wait: Duration::from_micros(args.max_wait_us) },
        pool_size: (appenders as u32).clamp(2, 16),
        ..StoreConfig::default()
    }
}

/// The same row as an event, through pgbench: one INSERT per transaction, same constraints.
async fn pg_ceiling(
    db: &perf::pg::Database,
    appenders: usize,
    args: &Args,
) -> Result<Figures, Box<dyn std::error::Error>> {
    let mut conn = PgConnection::connect(&db.url).await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS ceiling (LIKE folio_events INCLUDING ALL)").execute(&mut conn).await?;
    sqlx::query("CREATE SEQUENCE IF NOT EXISTS ceiling_position").execute(&mut conn).await?;
    let (data, metadata) = payload();
    let script = format!(
        "INSERT INTO ceiling (position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at) \
         VALUES (nextval('ceiling_position'), gen_random_uuid(), 'bench-' || gen_random_uuid(), 1, 'ContentViewed', 1, '{}', '{}', now());\n",
        data,
        serde_json::to_string(&metadata)?
    );
    let dir = tempfile::tempdir()?;
    let seconds = args.seconds;
    let url = db.url.clone();
    let figures =
        tokio::task::spawn_blocking(move || perf::pgbench::run(&url, &script, appenders, seconds, dir.path()))
            .await??;
    Ok(figures)
}

/// SQLite alone: one connection, one INSERT per transaction, WAL + synchronous=FULL.
/// SQLite has one writer, so this ceiling does not grow with clients.
async fn sqlite_ceiling(path: &std::path::Path, args: &Args) -> Result<Figures, sqlx::Error> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    sqlx::query(
        "CREATE TABLE ceiling (position INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE, stream_id TEXT NOT NULL, \
         stream_version INTEGER NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, \
         metadata TEXT NOT NULL, recorded_at INTEGER NOT NULL, UNIQUE (stream_id, stream_version))",
    )
    .execute(&mut conn)
    .await?;
    let mut latency = histogram();
    let mut operations = 0;
    let warm_until = Instant::now() + Duration::from_secs(args.warmup);
    let mut started = None;
    let measure = Duration::from_secs(args.seconds);
    loop {
        let (data, metadata) = payload();
        let t = Instant::now();
        sqlx::query("INSERT INTO ceiling (event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at) VALUES (?, ?, 1, 'ContentViewed', 1, ?, ?, ?)")
            .bind(uuid::Uuid::now_v7())
            .bind(format!("bench-{}", uuid::Uuid::now_v7()))
            .bind(data.to_string())
            .bind(serde_json::to_string(&metadata).unwrap_or_default())
            .bind(Utc::now().timestamp_micros())
            .execute(&mut conn)
            .await?;
        if t >= warm_until {
            let begun = *started.get_or_insert(t);
            if t.duration_since(begun) >= measure {
                return Ok(Figures { operations, elapsed: t.duration_since(begun), latency, errors: 0 });
            }
            let _ = latency.record((t.elapsed().as_micros() as u64).max(1));
            operations += 1;
        }
    }
}

struct Row {
    backend: String,
    appenders: usize,
    folio: Figures,
    ceiling: Figures,
    ceiling_name: &'static str,
}

async fn run_backend(
    backend: &str,
    appenders: usize,
    args: &Args,
    dir: &std::path::Path,
) -> Result<Row, Box<dyn std::error::Error>> {
    match backend {
        "sqlite" => {
            let path = dir.join(format!("append-{appenders}-{}.sqlite", uuid::Uuid::now_v7().simple()));
            let store: Arc<dyn EventStore> =
                Arc::new(SqliteEventStore::open(&path, store_config(appenders, args)).await?);
            let folio = measure_folio(store, appenders, args).await;
            let ceiling = sqlite_ceiling(&dir.join(format!("ceiling-{appenders}.sqlite")), args).await?;
            Ok(Row { backend: backend.into(), appenders, folio, ceiling, ceiling_name: "bare SQLite, 1 INSERT/txn" })
        }
        "postgres" => {
            let db = perf::pg::Database::create(&args.pg_url).await?;
            let store: Arc<dyn EventStore> =
                Arc::new(PostgresEventStore::connect(&db.url, store_config(appenders, args)).await?);
            let folio = measure_folio(store.clone(), appenders, args).await;
            drop(store);
            let ceiling = pg_ceiling(&db, appenders, args).await?;
            db.drop().await?;
            Ok(Row { backend: backend.into(), appenders, folio, ceiling, ceiling_name: "pgbench, 1 INSERT/txn" })
        }
        other => Err(format!("unknown backend {other:?} (sqlite, postgres)").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let temp = tempfile::tempdir()?;
    let dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    for backend in &args.backends {
        for &appenders in &args.appenders {
            let row = run_backend(backend, appenders, &args, &dir).await?;
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "{backend} x{appenders}: {:.0} events/s (ceiling {:.0}/s)",
                row.folio.per_second(),
                row.ceiling.per_second()
            )?;
            rows.push(row);
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "| backend | appenders | Folio events/s | p50 ms | p99 ms | max ms | errors | ceiling (same run) | ceiling/s | ceiling p50 / p99 ms | Folio ÷ ceiling |")?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")?;
    for r in &rows {
        writeln!(
            out,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {} | {:.0} | {:.2} / {:.2} | {:.2} |",
            r.backend,
            r.appenders,
            r.folio.per_second(),
            r.folio.p50_ms(),
            r.folio.p99_ms(),
            r.folio.max_ms(),
            r.folio.errors,
            r.ceiling_name,
            r.ceiling.per_second(),
            r.ceiling.p50_ms(),
            r.ceiling.p99_ms(),
            r.folio.per_second() / r.ceiling.per_second().max(f64::EPSILON),
        )?;
    }
    if let Some(path) = &args.json_out {
        let json: Vec<Value> = rows
            .iter()
            .map(|r| json!({"backend": r.backend, "appenders": r.appenders, "folio": r.folio.to_json(), "ceiling": {"name": r.ceiling_name, "figures": r.ceiling.to_json()}}))
            .collect();
        std::fs::write(
            path,
            serde_json::to_string_pretty(
                &json!({"seconds": args.seconds, "warmup": args.warmup, "max_wait_us": args.max_wait_us, "runs": json}),
            )?,
        )?;
    }
    Ok(())
}
