//! CPU time taken by processes other than the benchmark's own during a window, from /proc: the
//! machine is shared, and another process's build or test run shows up here instead of silently
//! lowering a figure. Linux only; elsewhere every reading is zero.

use std::collections::HashMap;
use std::time::Duration;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// The machine's busy ticks (user, nice, system, irq, softirq), and each matching process's
/// user + system ticks, its reaped children's included.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    machine: u64,
    processes: HashMap<u32, (String, u64)>,
}

/// Whether this PostgreSQL process is a backend (or autovacuum worker) of a database other than
/// `database`, from its process title: `postgres: <user> <database> <host(port)> <activity>`.
fn serves_another(proc_dir: &std::path::Path, database: &str) -> bool {
    let Ok(title) = std::fs::read(proc_dir.join("cmdline")) else { return false };
    let title = String::from_utf8_lossy(&title).replace('\0', " ");
    let Some(rest) = title.strip_prefix("postgres: ") else { return false };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let served = match words.as_slice() {
        ["autovacuum", "worker", db, ..] => Some(*db),
        [_user, db, client, ..] if client.contains('(') || *client == "[local]" => Some(*db),
        _ => None,
    };
    served.is_some_and(|db| db != database)
}

impl Snapshot {
    /// Reads /proc; `own` names (as in /proc/<pid>/comm, at most 15 bytes) the processes that
    /// belong to the benchmark, e.g. `["folio", "postgres", "pgbench", "query-bench"]`. A
    /// PostgreSQL backend connected to another database than `database` is not the benchmark's
    /// (the server is shared with other work); short-lived ones are, once reaped (they are the
    /// postmaster's children), which /proc cannot tell apart.
    pub fn take(own: &[&str], database: &str) -> Self {
        let machine = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| s.lines().next().map(str::to_owned))
            // cpu user nice system idle iowait irq softirq steal ...: a process's system time
            // includes some of the softirq time, so the machine's busy time must too.
            .map(|line| {
                let ticks: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
                [0, 1, 2, 5, 6].iter().filter_map(|&i| ticks.get(i)).sum()
            })
            .unwrap_or(0);
        let mut processes = HashMap::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // pid (comm) state ppid ... utime stime: comm may hold spaces, so split at the last ')'.
            let Some((head, rest)) = stat.rsplit_once(')') else { continue };
            let comm = head.split_once('(').map_or("", |(_, c)| c);
            if !own.contains(&comm) || (comm == "postgres" && serves_another(&entry.path(), database)) {
                continue;
            }
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            // utime stime cutime cstime: with the children's, so a pgbench run (our child) and
            // the PostgreSQL backends serving it (the postmaster's children, gone by the end of
            // the window) count as the benchmark's.
            processes.insert(pid, (comm.to_owned(), ticks(11) + ticks(12) + ticks(13) + ticks(14)));
        }
        Self { machine, processes }
    }

    /// Cores' worth of CPU that processes other than the benchmark's used from `before` to
    /// `self`, over `elapsed` (processes born and gone inside the window included). Interrupt
    /// time the benchmark's processes caused but were not charged for counts as others'; it is
    /// small (a few hundredths of a core) next to a build or a test run.
    pub fn others_since(&self, before: &Self, elapsed: Duration) -> f64 {
        let own: u64 = self.own_ticks_since(before).values().sum();
        let machine = self.machine.saturating_sub(before.machine);
        machine.saturating_sub(own) as f64 / TICKS / elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// CPU seconds each of the benchmark's processes (by name) used from `before` to `self`.
    pub fn own_seconds_since(&self, before: &Self) -> HashMap<String, f64> {
        self.own_ticks_since(before).into_iter().map(|(name, ticks)| (name, ticks as f64 / TICKS)).collect()
    }

    fn own_ticks_since(&self, before: &Self) -> HashMap<String, u64> {
        let mut by_name: HashMap<String, u64> = HashMap::new();
        for (pid, (name, ticks)) in &self.processes {
            let earlier = before.processes.get(pid).map_or(0, |(_, t)| *t);
            *by_name.entry(name.clone()).or_default() += ticks.saturating_sub(earlier);
        }
        by_name
    }
}
