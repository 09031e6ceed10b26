//! Runs pgbench (PostgreSQL's own load generator) for a ceiling, reading per-transaction
//! latencies from its `--log` files into the same HDR histogram Folio's figures use.

use crate::measure::{histogram, Figures};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PgbenchError {
    #[error("cannot run pgbench (install postgresql-contrib): {0}")]
    Spawn(#[source] std::io::Error),
    #[error("pgbench failed: {0}")]
    Failed(String),
    #[error("cannot read pgbench's logs: {0}")]
    Logs(#[source] std::io::Error),
}

/// Runs `script` with `clients` connections for `seconds` against `url`.
pub fn run(url: &str, script: &str, clients: usize, seconds: u64, work_dir: &Path) -> Result<Figures, PgbenchError> {
    let script_path = work_dir.join("script.sql");
    std::fs::write(&script_path, script).map_err(PgbenchError::Logs)?;
    for entry in std::fs::read_dir(work_dir).map_err(PgbenchError::Logs)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let threads = clients.min(2);
    let output = Command::new("pgbench")
        .current_dir(work_dir)
        .args(["--no-vacuum", "--protocol=prepared", "--log", "--log-prefix=pgbench_log"])
        .args(["--client", &clients.to_string(), "--jobs", &threads.to_string(), "--time", &seconds.to_string()])
        .arg("--file")
        .arg(&script_path)
        .arg(url)
        .output()
        .map_err(PgbenchError::Spawn)?;
    if !output.status.success() {
        return Err(PgbenchError::Failed(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    let mut latency = histogram();
    let mut operations = 0;
    let mut errors = 0;
    for entry in std::fs::read_dir(work_dir).map_err(PgbenchError::Logs)?.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).map_err(PgbenchError::Logs)?;
        // client_id transaction_no latency_us script_no epoch_s epoch_us
        for line in text.lines() {
            match line.split_whitespace().nth(2).and_then(|v| v.parse::<u64>().ok()) {
                Some(us) => {
                    let _ = latency.record(us.max(1));
                    operations += 1;
                }
                None => errors += 1,
            }
        }
    }
    Ok(Figures { operations, elapsed: Duration::from_secs(seconds), latency, errors })
}
