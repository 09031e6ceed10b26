//! The machine and the versions a run measured with.

use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, Row};
use std::path::Path;
use std::process::Command;

/// A file `scripts/bench` wrote into the results folder, trimmed.
fn recorded(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok().map(|text| text.trim().to_owned())
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .unwrap_or_else(|e| format!("({program}: {e})"))
}

fn meminfo_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok()))
        .map_or(0.0, |kb| kb as f64 / 1024.0 / 1024.0)
}

/// Cores, memory, CPU model; folio, PostgreSQL, pgbench, SQLite, nats-server, rustc versions; git.
/// The machine and versions; the git line from what `scripts/bench` recorded in `dir` when it
/// built the binaries, else from the tree as it is now.
pub async fn describe(folio: &Path, pg_url: &str, dir: &Path) -> Value {
    let postgres = match PgConnection::connect(pg_url).await {
        Ok(mut c) => sqlx::query_scalar::<_, String>("SELECT version()").fetch_one(&mut c).await.unwrap_or_default(),
        Err(e) => format!("({e})"),
    };
    let sqlite = match sqlx::SqliteConnection::connect("sqlite::memory:").await {
        Ok(mut c) => sqlx::query("SELECT sqlite_version()")
            .fetch_one(&mut c)
            .await
            .ok()
            .and_then(|r| r.try_get::<String, _>(0).ok())
            .unwrap_or_default(),
        Err(e) => format!("({e})"),
    };
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": meminfo_gib(),
        "cpu": output("sh", &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
        "kernel": output("uname", &["-sr"]),
        "folio": output(&folio.display().to_string(), &["--version"]),
        "folio_binary_built": std::fs::metadata(folio)
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339())
            .unwrap_or_default(),
        "postgres": postgres,
        "pgbench": output("pgbench", &["--version"]),
        "sqlite": sqlite,
        "nats_server": output("nats-server", &["--version"]),
        "rustc": output("rustc", &["--version"]),
        "git_head": recorded(dir, "git-head.txt").unwrap_or_else(|| output("git", &["rev-parse", "HEAD"])),
        "git_uncommitted": recorded(dir, "git-status.txt")
            .unwrap_or_else(|| output("git", &["status", "--porcelain", "--untracked-files=no"])),
    })
}

/// One line for RESULTS.md.
pub fn line(m: &Value) -> String {
    let s = |k: &str| m[k].as_str().unwrap_or_default().trim().to_owned();
    format!(
        "{} cores ({}), {:.0} GiB; {}; {}; SQLite {}; {}; {}; {} at git {}{}",
        m["cores"],
        s("cpu"),
        m["memory_gib"].as_f64().unwrap_or_default(),
        s("postgres").split(" on ").next().unwrap_or_default(),
        s("pgbench"),
        s("sqlite"),
        s("nats_server"),
        s("rustc"),
        s("folio"),
        s("git_head").get(..10).unwrap_or_default(),
        if s("git_uncommitted").is_empty() { "" } else { " (with uncommitted changes)" }
    )
}
