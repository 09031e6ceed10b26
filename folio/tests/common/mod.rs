//! Helpers shared by the test binaries that run `folio` as a child process.

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Kills the child when dropped, so a failed assertion leaves no server behind.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `folio serve` on `data` until `projections status` shows no lag; returns that status.
pub async fn serve_until_caught_up(data: &std::path::Path) -> Vec<Value> {
    let mut server = Killed(
        Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Its first line says it is listening: its stores exist and are migrated, so the status
    // commands below do not race it to create them.
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("http://"), "folio serve did not start: {line:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let output = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(["projections", "status", "--json", "--data-dir"])
            .arg(data)
            .output()
            .unwrap();
        let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_default();
        if !rows.is_empty() && rows.iter().all(|r| r["lag_events"] == 0) {
            return rows;
        }
        assert!(std::time::Instant::now() < deadline, "never caught up: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
