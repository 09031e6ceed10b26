//! One profile: each cache size on a fresh `folio serve`, every workload, the pgbench
//! ceilings; windows disturbed by other processes are measured again.

use super::args::Args;
use super::ceilings::{pgbench_scripts, plans, store_state_items};
use super::data::{ensure_seeded, Data};
use super::setup::{prepare, wait_ready, Setup};
use super::workloads::measure;
use super::{say, HEALTHZ, OWN_PROCESSES, OWN_PROCESSES_EMBEDDED};
use crate::cpu::Snapshot;
use crate::folio::{create_key, Server, Store};
use crate::measure::Figures;
use crate::Error;
use query_api::sql::Planning;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One `folio serve` (one cache size) and what it measured.
#[derive(Debug)]
pub struct CacheRun {
    pub cache_mb: u32,
    pub ready_seconds: f64,
    /// Each workload's figures, where the CPU went meanwhile, and how many attempts it took.
    pub workloads: Vec<(String, Figures, Cpu, usize)>,
}

#[derive(Debug)]
pub struct ProfileRun {
    pub profile: String,
    pub seed: Value,
    pub head: u64,
    pub setup: Value,
    pub runs: Vec<CacheRun>,
    pub ceilings: Vec<Ceiling>,
    pub ceiling_failures: Vec<Value>,
    pub plans: String,
}

/// pgbench running one shape's statement: the fastest of the client counts tried.
#[derive(Debug)]
pub struct Ceiling {
    pub shape: String,
    pub figures: Figures,
    pub script: String,
    pub cpu: Cpu,
    /// Windows measured for the kept client count (disturbed ones are measured again).
    pub attempts: usize,
    pub clients: usize,
    /// Every client count tried and the rate it reached.
    pub tried: Vec<(usize, f64)>,
}

pub async fn run_profile(profile: &str, args: &Args) -> Result<ProfileRun, Error> {
    let scale = args.scale.name();
    let store = match profile {
        "postgres" => {
            let name = args.database.clone().unwrap_or_else(|| format!("perf_query_{scale}"));
            let base = args.pg_url.rsplit_once('/').map_or(args.pg_url.as_str(), |(base, _)| base);
            Store::Postgres(format!("{base}/{name}"))
        }
        "embedded" => Store::Embedded(
            args.data_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/var/tmp/perf-query-{scale}"))),
        ),
        other => return Err(format!("unknown profile {other}").into()),
    };
    let mut seed = ensure_seeded(args, &store).await?;
    if let (Store::Postgres(url), false) = (&store, args.no_prewarm) {
        seed["prewarm"] = super::prewarm::prewarm(url).await?;
    }
    let data = Data::open(store.clone())?;
    // Which processes, and whose PostgreSQL backends, are the benchmark's.
    let (own, database): (&'static [&'static str], String) = match &store {
        Store::Postgres(url) => (&OWN_PROCESSES, url.rsplit('/').next().unwrap_or_default().to_owned()),
        Store::Embedded(_) => (&OWN_PROCESSES_EMBEDDED, String::new()),
    };
    let site = create_key(&args.folio, "site", &store.args())?;
    let editor = create_key(&args.folio, "editor", &store.args())?;
    let head = data.head().await?;
    say(&format!("{profile}: {} events in the store", head));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(args.request_timeout))
        .build()?;
    let mut setup: Option<Arc<Setup>> = None;
    let mut runs = Vec::new();
    for &cache in &args.caches {
        let mut extra = vec![
            "--query-cache-mb".to_owned(),
            cache.to_string(),
            "--read-pool-size".to_owned(),
            args.read_pool_size.to_string(),
        ];
        extra.extend(args.serve_args.iter().cloned());
        say(&format!("{profile}: folio serve {}", extra.join(" ")));
        let mut server = Server::start(&args.folio, &store.args(), &extra)?;
        let timeout = Duration::from_secs(args.catch_up_timeout);
        let ready_seconds = wait_ready(&client, &mut server, &data, head, &site, timeout).await?;
        say(&format!("{profile}: ready at {head} after {ready_seconds:.1} s"));
        let prepared = match &setup {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(prepare(args, &client, &server.url, &site, &editor).await?);
                setup = Some(s.clone());
                s
            }
        };
        let mut workloads = Vec::new();
        for workload in args.workloads.iter().map(String::as_str).chain([HEALTHZ]) {
            let mut attempts = Vec::new();
            let (figures, cpu) = loop {
                wait_for_quiet(args, own, &database).await;
                // CPU is read when the measured window opens (the warm-up has passed) and after it.
                let (warmup, db) = (Duration::from_secs(args.warmup), database.clone());
                let opened = tokio::spawn(async move {
                    tokio::time::sleep(warmup).await;
                    (Snapshot::take(own, &db), Instant::now())
                });
                let figures = measure(workload, args, &server.url, &site, &prepared).await?;
                let (before, began) = opened.await?;
                let after = Snapshot::take(own, &database);
                let cpu = Cpu::between(&before, &after, began.elapsed(), figures.operations);
                attempts.push((figures, cpu));
                if let Some(kept) = settled(&attempts, args, &format!("{profile} cache {cache} MiB {workload}")) {
                    break kept;
                }
            };
            say(&format!(
                "{profile} cache {cache} MiB {workload}: {:.0}/s p50 {:.2} p95 {:.2} p99 {:.2} max {:.1} ms, {} errors; {cpu}",
                figures.per_second(),
                figures.p50_ms(),
                figures.p95_ms(),
                figures.p99_ms(),
                figures.max_ms(),
                figures.errors
            ));
            workloads.push((workload.to_owned(), figures, cpu, attempts.len()));
            if !server.running() {
                return Err(format!("folio serve exited during {workload}").into());
            }
        }
        server.stop()?;
        runs.push(CacheRun { cache_mb: cache, ready_seconds, workloads });
    }
    let setup = setup.ok_or("no cache size to run")?;
    let (mut ceilings, mut ceiling_failures) = (Vec::new(), Vec::new());
    if let (Store::Postgres(url), false) = (&store, args.no_pgbench) {
        store_state_items(url, &setup.state).await?;
        let scripts = pgbench_scripts(&data.read, args.scale.articles(), args.state_users).await?;
        for (shape, script, planning) in scripts.into_iter().filter(|(s, _, _)| args.workloads.contains(s)) {
            let mut best: Option<Ceiling> = None;
            let mut tried = Vec::new();
            for &clients in &args.pgbench_clients {
                let label = format!("{profile} pgbench {shape}, {clients} clients");
                match pgbench_ceiling(args, own, (url, &database), &script, planning, clients, &label).await {
                    Ok((figures, cpu, attempts)) => {
                        say(&format!(
                            "{label}: {:.0}/s p50 {:.2} p95 {:.2} p99 {:.2} ms, {} errors; {cpu}",
                            figures.per_second(),
                            figures.p50_ms(),
                            figures.p95_ms(),
                            figures.p99_ms(),
                            figures.errors
                        ));
                        tried.push((clients, figures.per_second()));
                        if best.as_ref().is_none_or(|b| figures.per_second() > b.figures.per_second()) {
                            let (shape, script) = (shape.clone(), script.clone());
                            best = Some(Ceiling { shape, figures, script, cpu, attempts, clients, tried: Vec::new() });
                        }
                    }
                    Err(e) => {
                        say(&format!("{label} failed: {e}\n{script}"));
                        ceiling_failures.push(
                            json!({"shape": shape, "clients": clients, "error": e.to_string(), "script": script}),
                        );
                    }
                }
            }
            if let Some(mut ceiling) = best {
                ceiling.tried = tried;
                ceilings.push(ceiling);
            }
        }
    }
    let plans = plans(&data, &setup, args.scale.articles()).await.unwrap_or_else(|e| format!("plans failed: {e}\n"));
    data.close().await;
    if args.drop_after {
        match &store {
            Store::Postgres(url) => {
                let name = url.rsplit('/').next().unwrap_or_default();
                let mut admin = PgConnection::connect(&args.pg_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
            }
            Store::Embedded(dir) => std::fs::remove_dir_all(dir)?,
        }
    }
    Ok(ProfileRun {
        profile: profile.to_owned(),
        seed,
        head,
        setup: setup.report.clone(),
        runs,
        ceilings,
        ceiling_failures,
        plans,
    })
}

/// One pgbench ceiling window of `script` with `clients` clients (after a warm-up run), measured
/// again while other processes disturb it: the figures, the CPU, and how many windows it took.
async fn pgbench_ceiling(
    args: &Args,
    own: &[&str],
    (url, database): (&str, &str),
    script: &str,
    planning: Planning,
    clients: usize,
    label: &str,
) -> Result<(Figures, Cpu, usize), Error> {
    let mut attempts = Vec::new();
    loop {
        wait_for_quiet(args, own, database).await;
        let (url, text, db) = (url.to_owned(), script.to_owned(), database.to_owned());
        let (warmup, seconds) = (args.warmup, args.seconds);
        let measured = tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir()?;
            let mut options = format!("-c search_path={}", projectors::read_store::POSTGRES_SCHEMA);
            if planning == Planning::Generic {
                options.push_str(" -c plan_cache_mode=force_generic_plan");
            }
            let env = [("PGOPTIONS", options.as_str())];
            // A warm-up run first, as the HTTP workloads have one.
            crate::pgbench::run_with_env(&url, &text, clients, warmup.max(1), dir.path(), &env)?;
            let (before, began) = (Snapshot::take(&OWN_PROCESSES, &db), Instant::now());
            let figures = crate::pgbench::run_with_env(&url, &text, clients, seconds, dir.path(), &env)?;
            let cpu = Cpu::between(&before, &Snapshot::take(&OWN_PROCESSES, &db), began.elapsed(), figures.operations);
            Ok::<_, Error>((figures, cpu))
        })
        .await??;
        attempts.push(measured);
        if let Some((figures, cpu)) = settled(&attempts, args, label) {
            return Ok((figures, cpu, attempts.len()));
        }
    }
}

/// Waits (up to 20 minutes) until processes other than the benchmark's use at most
/// `--max-others` cores over 3 seconds.
pub async fn wait_for_quiet(args: &Args, own: &[&str], database: &str) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if args.max_others >= cores as f64 {
        return; // tolerating every core: nothing to wait for
    }
    let started = Instant::now();
    let mut shown = Instant::now();
    loop {
        let before = Snapshot::take(own, database);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let others = Snapshot::take(own, database).others_since(&before, Duration::from_secs(3));
        if others <= args.max_others {
            return;
        }
        if started.elapsed() > Duration::from_secs(20 * 60) {
            say(&format!("still {others:.2} cores used by other processes after 20 minutes; measuring anyway"));
            return;
        }
        if shown.elapsed() > Duration::from_secs(30) || started.elapsed() < Duration::from_secs(4) {
            shown = Instant::now();
            say(&format!("waiting for a quiet machine: other processes use {others:.2} cores"));
        }
    }
}

/// The attempt to keep once the last one was undisturbed or no retry is left (the quietest),
/// or None to measure again.
pub fn settled(attempts: &[(Figures, Cpu)], args: &Args, label: &str) -> Option<(Figures, Cpu)> {
    let last = attempts.last()?;
    if last.1.others > args.max_others && attempts.len() <= args.retries {
        say(&format!(
            "{label}: other processes used {:.2} cores (> {}); measuring again ({:.0}/s this time)",
            last.1.others,
            args.max_others,
            last.0.per_second()
        ));
        return None;
    }
    attempts.iter().min_by(|a, b| a.1.others.total_cmp(&b.1.others)).cloned()
}

/// Where the CPU went during a measured window.
#[derive(Debug, Clone)]
pub struct Cpu {
    /// Cores' worth used by processes other than the benchmark's.
    pub others: f64,
    /// CPU seconds of each of the benchmark's processes (by name).
    pub seconds: HashMap<String, f64>,
    pub operations: u64,
}

impl Cpu {
    pub fn between(before: &Snapshot, after: &Snapshot, elapsed: Duration, operations: u64) -> Self {
        Self { others: after.others_since(before, elapsed), seconds: after.own_seconds_since(before), operations }
    }

    pub fn per_request_us(&self, name: &str) -> f64 {
        self.seconds.get(name).copied().unwrap_or(0.0) * 1e6 / (self.operations.max(1) as f64)
    }

    /// The load generator's: query-bench, or pgbench (our child: reaped, it counts as ours).
    pub fn client_us(&self) -> f64 {
        self.per_request_us("query-bench") + self.per_request_us("pgbench")
    }

    /// `folio / postgres / client` in µs per request.
    pub fn per_request_text(&self) -> String {
        format!(
            "{:.0} / {:.0} / {:.0}",
            self.per_request_us("folio"),
            self.per_request_us("postgres"),
            self.client_us()
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "other_processes_cores": self.others,
            "cpu_seconds": self.seconds,
            "us_per_request": self.seconds.keys().map(|k| (k.clone(), json!(self.per_request_us(k)))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU µs/request folio / postgres / client {}; other processes {:.2} cores",
            self.per_request_text(),
            self.others
        )
    }
}
