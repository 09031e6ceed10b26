//! The rebuild workload (issue 6): `folio projections rebuild <p> --drop-old` for every
//! projection on a seeded store, while a running `folio serve` answers list20 reads at a steady
//! rate; the same reads measured idle just before, for the "p95 during a rebuild within 2× of
//! idle" target. The rebuild goes through the real binary, as an operator runs it.

use crate::folio::Server;
use crate::http1::Client;
use crate::load::Getter;
use crate::measure::{histogram, Figures};
use crate::Error;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The projections `folio projections rebuild` takes, in the order they are reported.
pub const PROJECTIONS: [&str; 4] = ["content", "comments", "engagement", "keys"];

/// The read load kept up during the rebuild (and measured idle before it).
#[derive(Debug, Clone)]
pub struct ReadLoad {
    /// The URL read (list20 as the query benchmark asks it).
    pub url: String,
    /// Requests per second across all connections (paced, open loop).
    pub rate: u64,
    pub connections: usize,
}

/// Each projection's standing, from `folio projections status --json`: (name, position, head).
pub fn status(folio: &Path, store: &[String]) -> Result<Vec<(String, u64, u64)>, Error> {
    let out = Command::new(folio).args(["projections", "status", "--json"]).args(store).output()?;
    if !out.status.success() {
        return Err(format!("folio projections status failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let rows: Value = serde_json::from_slice(&out.stdout)?;
    Ok(rows
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap_or(0);
            (r["name"].as_str().unwrap_or_default().to_owned(), n("position"), n("head"))
        })
        .collect())
}

/// Waits until every projection reached the store's head (after `folio serve` started).
pub async fn wait_caught_up(folio: &Path, store: &[String], timeout: Duration) -> Result<u64, Error> {
    let started = Instant::now();
    loop {
        let rows = status(folio, store)?;
        let head = rows.first().map_or(0, |r| r.2);
        if !rows.is_empty() && rows.iter().filter(|r| PROJECTIONS.contains(&r.0.as_str())).all(|r| r.1 >= r.2) {
            return Ok(head);
        }
        if started.elapsed() > timeout {
            return Err(format!("the projections did not catch up within {timeout:?}: {rows:?}").into());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Paced reads until `stop` is set (or for `window` when given): each connection sends its next
/// request at its next slot; latency counts from the slot, so a stall shows in full
/// (no coordinated omission).
pub async fn paced_reads(
    client: &Arc<Client>,
    load: &ReadLoad,
    stop: Arc<AtomicBool>,
    window: Option<Duration>,
) -> Figures {
    let interval = Duration::from_secs_f64(load.connections as f64 / load.rate.max(1) as f64);
    let started = Instant::now();
    let connections = load.connections.max(1);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (getter, url, stop) = (Getter::new(client.clone(), "rebuild-read", None), load.url.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latency, mut ok, mut errors) = (histogram(), 0u64, 0u64);
            // Spread the connections' slots over one interval.
            let mut slot = started + interval.mul_f64(c as f64 / connections as f64);
            loop {
                if stop.load(Ordering::Relaxed) || window.is_some_and(|w| slot.duration_since(started) >= w) {
                    break;
                }
                tokio::time::sleep_until(slot.into()).await;
                let success = getter.get(&url).await;
                let ended = Instant::now();
                if success {
                    let _ = latency.record(ended.duration_since(slot).as_micros().max(1) as u64);
                    ok += 1;
                } else {
                    errors += 1;
                }
                slot += interval;
            }
            (latency, ok, errors)
        }));
    }
    let mut figures = Figures { operations: 0, elapsed: Duration::ZERO, latency: histogram(), errors: 0 };
    for task in tasks {
        if let Ok((latency, ok, errors)) = task.await {
            let _ = figures.latency.add(&latency);
            figures.operations += ok;
            figures.errors += errors;
        }
    }
    figures.elapsed = started.elapsed();
    figures
}

/// One `folio projections rebuild` run: how long, and what it printed.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub projection: String,
    pub seconds: f64,
    pub output: String,
}

/// Rebuilds every projection with `--drop-old --restart`: all at once in one
/// `folio projections rebuild all` (`concurrent`: every projection at once in one process, as
/// an operator runs it), or one `folio projections rebuild <p>` after another.
pub async fn rebuild_all(
    folio: &Path,
    store: &[String],
    concurrent: bool,
    priority: &str,
) -> Result<(Vec<Rebuilt>, f64), Error> {
    let started = Instant::now();
    let spawn = |projection: &str| -> Result<std::process::Child, Error> {
        Ok(Command::new(folio)
            .args(["projections", "rebuild", projection, "--drop-old", "--restart", "--priority", priority])
            .env("NO_COLOR", "1")
            .args(store)
            .env("FOLIO_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?)
    };
    let wait = move |projection: &str, child: std::process::Child| -> Result<Rebuilt, Error> {
        let out = child.wait_with_output()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            return Err(format!("folio projections rebuild {projection} failed: {text}\n{}", tail(&out.stderr)).into());
        }
        Ok(Rebuilt { projection: projection.to_owned(), seconds: started.elapsed().as_secs_f64(), output: text })
    };
    let mut done = Vec::new();
    if concurrent {
        let child = spawn("all")?;
        // Wait on a blocking thread so the read load keeps running on the runtime.
        let all = tokio::task::spawn_blocking(move || wait("all", child)).await??;
        for projection in PROJECTIONS {
            // "rebuilt <p> to position N and switched it in (S s since the start: built in B s, switched in W s)"
            let line = all.output.lines().find(|l| l.starts_with(&format!("rebuilt {projection} ")));
            let seconds = line
                .and_then(|l| l.rsplit_once('(')?.1.split_whitespace().next()?.parse::<f64>().ok())
                .ok_or_else(|| format!("folio projections rebuild all did not report {projection}: {}", all.output))?;
            done.push(Rebuilt {
                projection: (*projection).to_owned(),
                seconds,
                output: line.unwrap_or_default().to_owned(),
            });
        }
    } else {
        for projection in PROJECTIONS {
            let began = started.elapsed().as_secs_f64();
            let child = spawn(projection)?;
            let mut rebuilt = tokio::task::spawn_blocking(move || wait(projection, child)).await??;
            rebuilt.seconds -= began;
            done.push(rebuilt);
        }
    }
    Ok((done, started.elapsed().as_secs_f64()))
}

fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

/// How the workload rebuilds.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every projection at once in one process (`folio projections rebuild all`), or one after
    /// another.
    pub concurrent: bool,
    /// `--priority` of the rebuild under reads.
    pub priority: String,
    /// When set, the `--priority` of a second rebuild once the server has stopped: the time of a
    /// rebuild alone, at full speed when `normal`.
    pub alone_priority: Option<String>,
}

/// The whole workload on one profile's seeded store: serve, idle reads, rebuild under reads,
/// then (when the plan asks) rebuild alone.
pub async fn run(
    folio: &Path,
    profile: &str,
    store: &[String],
    load: &ReadLoad,
    idle_seconds: u64,
    plan: &Plan,
) -> Result<Value, Error> {
    let serve_args: Vec<String> = ["--query-cache-mb", "0"].iter().map(|s| (*s).to_owned()).collect();
    let server = Server::start(folio, store, &serve_args)?;
    let head = wait_caught_up(folio, store, Duration::from_secs(4 * 3600)).await?;
    let client = Arc::new(Client::new(&server.url, Some(Duration::from_secs(30)))?);
    let load = ReadLoad { url: format!("{}{}", server.url, load.url), ..load.clone() };
    // Warm-up, then the idle window.
    let never = Arc::new(AtomicBool::new(false));
    paced_reads(&client, &load, never.clone(), Some(Duration::from_secs(2))).await;
    let idle = paced_reads(&client, &load, never, Some(Duration::from_secs(idle_seconds))).await;
    let stop = Arc::new(AtomicBool::new(false));
    let reads = {
        let (client, load, stop) = (client.clone(), load.clone(), stop.clone());
        tokio::spawn(async move { paced_reads(&client, &load, stop, None).await })
    };
    let rebuilt = rebuild_all(folio, store, plan.concurrent, &plan.priority).await;
    stop.store(true, Ordering::Relaxed);
    let during = reads.await?;
    let (rebuilt, total) = rebuilt?;
    let after = status(folio, store)?;
    server.stop()?;
    let alone = match &plan.alone_priority {
        Some(priority) => {
            let (rebuilt, total) = rebuild_all(folio, store, plan.concurrent, priority).await?;
            Some(json!({
                "priority": priority,
                "seconds": total,
                "minutes": total / 60.0,
                "events_per_second": head as f64 / total.max(1e-9),
                "projections": per_projection(&rebuilt, head),
            }))
        }
        None => None,
    };
    Ok(json!({
        "profile": profile,
        "events": head,
        "concurrent": plan.concurrent,
        "priority": plan.priority,
        "seconds": total,
        "minutes": total / 60.0,
        "events_per_second": head as f64 / total.max(1e-9),
        "projections": per_projection(&rebuilt, head),
        "status_after": after.iter().map(|(n, p, h)| json!({"name": n, "position": p, "head": h})).collect::<Vec<_>>(),
        "reads": {"url": load.url, "rate": load.rate, "connections": load.connections, "cache_mb": 0,
                  "idle": idle.to_json(), "during_rebuild": during.to_json()},
        "alone": alone,
    }))
}

fn per_projection(rebuilt: &[Rebuilt], head: u64) -> serde_json::Map<String, Value> {
    rebuilt
        .iter()
        .map(|r| {
            (
                r.projection.clone(),
                json!({"seconds": r.seconds, "events_per_second": head as f64 / r.seconds.max(1e-9), "output": r.output}),
            )
        })
        .collect()
}
