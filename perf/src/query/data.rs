//! A profile's event store and read models, as the benchmark reads them directly, and seeding.

use super::args::{Args, Scale};
use super::say;
use crate::folio::Store;
use crate::Error;
use query_api::sql::lookups::{self};
use query_api::ReadDb;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

/// A profile's event store and read models, as this benchmark reads them directly (the head,
/// checkpoints, plans); the load itself goes through HTTP only.
#[derive(Debug)]
pub struct Data {
    pub store: Store,
    pub events: Events,
    pub read: ReadDb,
}

#[derive(Debug)]
pub enum Events {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Data {
    pub fn open(store: Store) -> Result<Self, Error> {
        let (events, read) = match &store {
            Store::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)?;
                let events = PgPoolOptions::new().max_connections(2).connect_lazy_with(options.clone());
                let read = options.options([("search_path", projectors::read_store::POSTGRES_SCHEMA)]);
                let read = PgPoolOptions::new().max_connections(2).connect_lazy_with(read);
                (Events::Postgres(events), ReadDb::postgres(read))
            }
            Store::Embedded(dir) => {
                let open = |file: &str| {
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_lazy_with(SqliteConnectOptions::new().filename(dir.join(file)).read_only(true))
                };
                (Events::Sqlite(open("events.sqlite")), ReadDb::sqlite(&open("read.sqlite")))
            }
        };
        Ok(Self { store, events, read })
    }

    pub async fn head(&self) -> Result<u64, Error> {
        let head: i64 = match &self.events {
            Events::Postgres(pool) => {
                sqlx::query_scalar("SELECT position FROM public.folio_log_head").fetch_one(pool).await?
            }
            Events::Sqlite(pool) => {
                sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events").fetch_one(pool).await?
            }
        };
        Ok(u64::try_from(head).unwrap_or(0))
    }

    /// Each projection's committed position (empty while the read models do not exist yet).
    pub async fn checkpoints(&self) -> HashMap<String, u64> {
        let mut reached = HashMap::new();
        if let Ok(rows) = self.read.fetch(&lookups::checkpoints(self.read.dialect())).await {
            for row in rows {
                if let (Ok(name), Ok(at)) = (row.text(0), row.count(1)) {
                    reached.insert(name, u64::try_from(at).unwrap_or(0));
                }
            }
        }
        reached
    }

    pub async fn close(&self) {
        match &self.events {
            Events::Postgres(pool) => pool.close().await,
            Events::Sqlite(pool) => pool.close().await,
        }
        self.read.close();
    }
}

/// The version of the seeded data's shape: data of another version (or none recorded) is seeded
/// again (scripts/bench checks the same number). 2: the bench article's body is `"listed": false`, so lists carry cards.
pub const DATA_VERSION: i32 = 2;

/// Seeds `store` unless it already holds this scale's data, of [`DATA_VERSION`]; returns what happened.
pub async fn ensure_seeded(args: &Args, store: &Store) -> Result<Value, Error> {
    let scale = args.scale.name();
    match store {
        Store::Postgres(url) => {
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            let mut admin = PgConnection::connect(&args.pg_url).await?;
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await?;
            if exists && !args.reseed {
                let mut db = PgConnection::connect(url).await?;
                let seeded: Option<(String, f64)> =
                    sqlx::query_as("SELECT scale, seconds FROM folio_bench.seeded WHERE version = $1")
                        .bind(DATA_VERSION)
                        .fetch_optional(&mut db)
                        .await
                        .ok()
                        .flatten();
                if let Some((at, seconds)) = seeded.filter(|(s, _)| s == scale) {
                    say(&format!("reusing database {name} ({at} data, seeded earlier in {seconds:.0} s)"));
                    return Ok(json!({"reused": true, "seconds": seconds}));
                }
            }
            say(&format!("creating database {name}"));
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            let (seconds, output) = seed(args, store)?;
            let mut db = PgConnection::connect(url).await?;
            sqlx::query("CREATE SCHEMA IF NOT EXISTS folio_bench").execute(&mut db).await?;
            sqlx::query(
                "CREATE TABLE folio_bench.seeded (scale text NOT NULL, seconds float8 NOT NULL, version int4 NOT NULL)",
            )
            .execute(&mut db)
            .await?;
            sqlx::query("INSERT INTO folio_bench.seeded VALUES ($1, $2, $3)")
                .bind(scale)
                .bind(seconds)
                .bind(DATA_VERSION)
                .execute(&mut db)
                .await?;
            Ok(json!({"reused": false, "seconds": seconds, "output": output}))
        }
        Store::Embedded(dir) => {
            let marker = dir.join("seeded.json");
            if !args.reseed {
                if let Ok(text) = std::fs::read_to_string(&marker) {
                    let seeded: Value = serde_json::from_str(&text)?;
                    if seeded["scale"] == scale && seeded["version"] == DATA_VERSION {
                        say(&format!(
                            "reusing {} ({scale} data, seeded earlier in {:.0} s)",
                            dir.display(),
                            seeded["seconds"]
                        ));
                        return Ok(json!({"reused": true, "seconds": seeded["seconds"]}));
                    }
                }
            }
            if dir.exists() {
                std::fs::remove_dir_all(dir)?;
            }
            std::fs::create_dir_all(dir)?;
            let (seconds, output) = seed(args, store)?;
            std::fs::write(&marker, json!({"scale": scale, "seconds": seconds, "version": DATA_VERSION}).to_string())?;
            Ok(json!({"reused": false, "seconds": seconds, "output": output}))
        }
    }
}

pub fn seed(args: &Args, store: &Store) -> Result<(f64, String), Error> {
    say(&format!("folio seed --dataset bench ({}) into the {} store", args.scale.name(), store.profile()));
    let started = Instant::now();
    let mut command = Command::new(&args.folio);
    command.args(["seed", "--dataset", "bench"]).args(store.args());
    if args.scale == Scale::Quick {
        command.arg("--quick");
    }
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        return Err(format!("folio seed failed: {text}\n{}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let seconds = started.elapsed().as_secs_f64();
    say(&format!("seeded in {seconds:.0} s: {}", text.lines().last().unwrap_or_default()));
    Ok((seconds, text))
}
