//! The real `folio` binary as a child process: its store arguments, `folio keys create`, and
//! `folio serve` on a free port (killed when dropped).

use crate::Error;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where a `folio` command finds its event store (and, for serve, its read models).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// The embedded profile: events.sqlite and read.sqlite under this folder.
    Embedded(PathBuf),
    /// The cluster profile's PostgreSQL (events in `public`, read models in `folio_read`).
    Postgres(String),
}

impl Store {
    pub fn args(&self) -> Vec<String> {
        match self {
            Self::Embedded(dir) => vec!["--data-dir".into(), dir.display().to_string()],
            Self::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    pub fn profile(&self) -> &'static str {
        match self {
            Self::Embedded(_) => "embedded",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// `folio keys create --role <role>`: the key is the last token of the last line printed.
pub fn create_key(folio: &Path, role: &str, store: &[String]) -> Result<String, Error> {
    let out = Command::new(folio).args(["keys", "create", "--role", role]).args(store).output()?;
    if !out.status.success() {
        return Err(format!("folio keys create failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout)?;
    text.lines()
        .last()
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_owned)
        .ok_or_else(|| "no key printed".into())
}

/// A running `folio serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// `folio serve --port 0 --scheduler-interval-ms 0 <store> <extra>` with FOLIO_LOG=warn;
    /// returns once it printed its URL (the read models may still be catching up).
    pub fn start(folio: &Path, store: &[String], extra: &[String]) -> Result<Self, Error> {
        Self::start_role(folio, "serve", store, extra)
    }

    /// Like [`Server::start`] for another HTTP role (`command-api`).
    pub fn start_role(folio: &Path, role: &str, store: &[String], extra: &[String]) -> Result<Self, Error> {
        let mut child = Command::new(folio)
            .args([role, "--port", "0", "--scheduler-interval-ms", "0"])
            .args(store)
            .args(extra)
            .env("FOLIO_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_owned) else {
            let _ = child.kill();
            let status = child.wait()?;
            return Err(format!("folio {role} printed no URL ({status}): {line:?}").into());
        };
        Ok(Self { child, url })
    }

    /// The process id (for `perf record -p`, `ps`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (in-flight requests finish, projectors commit their batch), then waits up to
    /// 60 s before killing it.
    pub fn stop(mut self) -> Result<(), Error> {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..600 {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err("folio serve did not stop within 60 s of SIGTERM; killed".into())
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
