//! Lower CPU priority for work that must yield to the serving roles: a rebuild on a live site.
//!
//! A [`Lowering`] has two parts: a nice value, and the CPUs the work may run on (all it was
//! allowed but the first, so that one CPU stays free for the site).
//!
//! Rules:
//! - [`lower_this_process`] applies a lowering to every thread of this process; threads started
//!   later inherit both parts from the thread that starts them (Linux keeps them per thread).
//! - Once [`lower_backends`] is called, every PostgreSQL connection the process opens afterwards
//!   (through [`on_postgres_connect`], which every pool of Folio runs) asks for its backend's pid
//!   and lowers that process too, since on one machine the database does half the work.
//! - A pid is only touched when it is provably this connection's backend on this host: the
//!   process title PostgreSQL gives it names the connection's database and, over TCP, the
//!   client port the server reports for it. A server on another host (whose pids mean nothing
//!   here), another PID namespace or missing permission (lowering another user's process needs
//!   root or the same user) leaves the backend as it is; [`backends`] counts both outcomes and
//!   keeps the first reason.
//! - Nothing here ever raises a priority or widens a CPU set: a thread's CPUs become those it
//!   had that the lowering allows ([`both`]), and stay as they were if none is.
//!
//! Why a CPU is left free, and not only the nice value: the kernel shares the CPU between
//! scheduling groups (autogroups, one per session; cgroups) before it looks at nice, and
//! PostgreSQL's backends are in the postmaster's group, not the site's. A reader woken while the
//! other group's niced rebuild work holds the CPU waits for that group's slice; each request
//! wakes several threads in turn, so the waits add up in the tail (`perf/RESULTS.md`).

use rustix::thread::CpuSet;
use sqlx::PgConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The lowering [`lower_backends`] applies to backends; `None` means "leave them alone".
static BACKENDS: Mutex<Option<Lowering>> = Mutex::new(None);
static LOWERED: AtomicU64 = AtomicU64::new(0);
static LEFT: AtomicU64 = AtomicU64::new(0);
static FIRST_REASON: Mutex<Option<String>> = Mutex::new(None);

/// The lowest priority Linux has for a normal process.
pub const LOWEST: i32 = 19;

/// What lowering a process means: its nice value, and the CPUs it may run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lowering {
    /// 0..=19.
    pub nice: i32,
    /// `None`: the CPUs are left as they are.
    pub cpus: Option<CpuSet>,
}

impl Lowering {
    /// Nice 19 on every CPU this process may use but the first: the lowering of a rebuild on a
    /// live site. The CPU set is left alone when it cannot be read or has one CPU only.
    pub fn yielding_one_cpu() -> Self {
        let allowed = rustix::thread::sched_getaffinity(None).ok();
        Self { nice: LOWEST, cpus: allowed.as_ref().and_then(all_but_the_first) }
    }
}

/// `allowed` without its lowest CPU, or `None` when that would leave no CPU.
pub fn all_but_the_first(allowed: &CpuSet) -> Option<CpuSet> {
    if allowed.count() < 2 {
        return None;
    }
    let mut rest = *allowed;
    let first = (0..CpuSet::MAX_CPU).find(|&cpu| allowed.is_set(cpu))?;
    rest.unset(first);
    Some(rest)
}

/// How many backends were lowered, how many were left as they were, and why the first was left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendsLowered {
    pub lowered: u64,
    pub left: u64,
    pub first_reason: Option<String>,
}

/// Applies `lowering` to every thread of this process. Returns how many threads it changed (a
/// thread that has ended meanwhile is passed over).
pub fn lower_this_process(lowering: &Lowering) -> std::io::Result<usize> {
    let mut changed = 0;
    for entry in std::fs::read_dir("/proc/self/task")? {
        let Some(tid) = entry?.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        match lower(tid, lowering) {
            Ok(()) => changed += 1,
            Err(error) if error.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error()) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(changed)
}

/// From now on, apply `lowering` to the backend of every PostgreSQL connection this process opens.
pub fn lower_backends(lowering: Lowering) {
    let lowering = Lowering { nice: lowering.nice.clamp(0, LOWEST), ..lowering };
    if let Ok(mut backends) = BACKENDS.lock() {
        *backends = Some(lowering);
    }
}

/// The outcome so far of [`lower_backends`].
pub fn backends() -> BackendsLowered {
    BackendsLowered {
        lowered: LOWERED.load(Ordering::SeqCst),
        left: LEFT.load(Ordering::SeqCst),
        first_reason: FIRST_REASON.lock().ok().and_then(|r| r.clone()),
    }
}

/// The `after_connect` step of every PostgreSQL pool: lowers the backend when [`lower_backends`]
/// asked for it. Never fails the connection: a backend left as it was is counted, with its
/// reason.
pub async fn on_postgres_connect(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let Some(lowering) = BACKENDS.lock().ok().and_then(|b| *b) else { return Ok(()) };
    let (pid, port, database): (i32, Option<i32>, String) =
        sqlx::query_as("SELECT pg_backend_pid(), inet_client_port(), current_database()::text")
            .fetch_one(&mut *conn)
            .await?;
    let outcome = u32::try_from(pid).map_err(|_| format!("backend pid {pid} is not a pid")).and_then(|pid| {
        let title = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map_err(|_| format!("backend {pid} is not a process on this host"))?;
        if !is_backend_title(&String::from_utf8_lossy(&title), &database, port) {
            return Err(format!("process {pid} on this host is not this connection's backend"));
        }
        lower(pid, &lowering).map_err(|e| format!("lowering backend {pid}: {e}"))
    });
    match outcome {
        Ok(()) => {
            LOWERED.fetch_add(1, Ordering::SeqCst);
        }
        Err(reason) => {
            LEFT.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut first) = FIRST_REASON.lock() {
                first.get_or_insert(reason);
            }
        }
    }
    Ok(())
}

/// Whether a process title (`/proc/<pid>/cmdline`) is that of a backend serving `database`,
/// connected from `port` over TCP (`None`: over a Unix socket, titled `[local]`).
/// PostgreSQL titles backends `postgres: <user> <database> <host>(<port>) <activity>`.
pub fn is_backend_title(title: &str, database: &str, port: Option<i32>) -> bool {
    let Some(rest) = title.trim_end_matches('\0').strip_prefix("postgres: ") else { return false };
    let mut words = rest.split_whitespace();
    let (_user, Some(db), Some(client)) = (words.next(), words.next(), words.next()) else { return false };
    if db != database {
        return false;
    }
    match port {
        Some(port) => client.ends_with(&format!("({port})")),
        None => client == "[local]",
    }
}

/// Applies a lowering to one thread (a tid) or process (a pid, whose main thread it is). Its
/// CPUs become those it already had that the lowering allows: a set is only ever narrowed, and
/// left as it is when the two have no CPU in common.
fn lower(tid: u32, lowering: &Lowering) -> std::io::Result<()> {
    let pid = i32::try_from(tid).ok().and_then(rustix::process::Pid::from_raw);
    let Some(pid) = pid else { return Err(std::io::ErrorKind::InvalidInput.into()) };
    rustix::process::setpriority_process(Some(pid), lowering.nice).map_err(std::io::Error::from)?;
    if let Some(cpus) = &lowering.cpus {
        let narrowed = both(cpus, &rustix::thread::sched_getaffinity(Some(pid))?);
        if narrowed.count() > 0 {
            rustix::thread::sched_setaffinity(Some(pid), &narrowed)?;
        }
    }
    Ok(())
}

/// The CPUs in both sets.
pub fn both(a: &CpuSet, b: &CpuSet) -> CpuSet {
    let mut common = CpuSet::new();
    (0..CpuSet::MAX_CPU).filter(|&cpu| a.is_set(cpu) && b.is_set(cpu)).for_each(|cpu| common.set(cpu));
    common
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::{all_but_the_first, both, is_backend_title, lower_this_process, Lowering, LOWEST};
    use rustix::thread::CpuSet;

    /// The nice value of a process, from `/proc/<pid>/stat` (field 19, after the parenthesised name).
    fn nice_of(pid: u32) -> i32 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    fn is_root() -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    }

    /// The CPUs a process may run on (a tid or pid).
    fn cpus_of(pid: u32) -> CpuSet {
        rustix::thread::sched_getaffinity(rustix::process::Pid::from_raw(i32::try_from(pid).unwrap())).unwrap()
    }

    /// The last CPU of `allowed` alone, or `None` on a one-CPU machine: a confinement every test
    /// machine with two CPUs can check.
    fn last_cpu_alone(allowed: &CpuSet) -> Option<CpuSet> {
        let last = (0..CpuSet::MAX_CPU).rev().find(|&cpu| allowed.is_set(cpu))?;
        let mut alone = CpuSet::new();
        alone.set(last);
        (allowed.count() >= 2).then_some(alone)
    }

    /// Against the test server: the event store's pool lowers each backend it opens once asked
    /// to (as root, which the test machine runs as; otherwise the refusal is counted and given).
    /// Runs in its own process (nextest), so the process-wide request stays in this test.
    #[tokio::test]
    async fn backends_opened_after_the_request_run_at_the_lowest_priority_on_fewer_cpus() {
        let database = crate::testing::TestDatabase::create().await;
        let connect = |url: String| async move {
            let store = crate::event_store::postgres::PostgresEventStore::connect(&url, crate::StoreConfig::default());
            store.await.unwrap().pool().clone()
        };
        let before = connect(database.url.clone()).await;
        let pid_of = |pool: sqlx::PgPool| async move {
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&pool).await.unwrap();
            u32::try_from(pid).unwrap()
        };
        let untouched = pid_of(before.clone()).await;
        let untouched_cpus = cpus_of(untouched);
        assert_eq!(nice_of(untouched), 0, "no request yet: the backend keeps its priority");
        assert_eq!(super::backends(), super::BackendsLowered::default());

        let cpus = last_cpu_alone(&untouched_cpus);
        super::lower_backends(Lowering { nice: LOWEST, cpus });
        let after = connect(database.url.clone()).await;
        let lowered = pid_of(after.clone()).await;
        let outcome = super::backends();
        if is_root() {
            assert_eq!(nice_of(lowered), LOWEST, "{outcome:?}");
            if let Some(cpus) = cpus {
                assert_eq!(cpus_of(lowered), cpus, "the backend runs on the CPUs it was given");
            }
            assert!(outcome.lowered >= 1 && outcome.left == 0, "{outcome:?}");
        } else {
            assert!(outcome.left >= 1 && outcome.first_reason.is_some(), "{outcome:?}");
        }
        assert_eq!(nice_of(untouched), 0, "a backend opened before the request is left alone");
        assert_eq!(cpus_of(untouched), untouched_cpus, "and keeps its CPUs");
        before.close().await;
        after.close().await;
        database.drop_now().await;
    }

    /// Every thread of the process is lowered, and threads started afterwards inherit it.
    /// Runs in its own process (nextest), so the lowering stays in this test.
    #[test]
    fn the_lowering_of_this_process_reaches_threads_started_later() {
        let allowed = rustix::thread::sched_getaffinity(None).unwrap();
        let lowering = Lowering { nice: LOWEST, cpus: last_cpu_alone(&allowed) };
        let changed = lower_this_process(&lowering).unwrap();
        assert!(changed >= 1);
        let (nice, cpus) = std::thread::spawn(|| {
            let tid = rustix::thread::gettid().as_raw_nonzero().get().unsigned_abs();
            (nice_of(tid), rustix::thread::sched_getaffinity(None).unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(nice, LOWEST);
        assert_eq!(cpus, lowering.cpus.unwrap_or(allowed));
    }

    #[test]
    fn a_lowering_leaves_the_first_cpu_and_never_the_last_one() {
        let set = |cpus: &[usize]| {
            let mut set = CpuSet::new();
            cpus.iter().for_each(|&cpu| set.set(cpu));
            set
        };
        assert_eq!(all_but_the_first(&set(&[0, 1])), Some(set(&[1])));
        assert_eq!(all_but_the_first(&set(&[2, 5, 7])), Some(set(&[5, 7])), "the first allowed, not CPU 0");
        assert_eq!(all_but_the_first(&set(&[3])), None, "one CPU: nothing to leave");
        assert_eq!(all_but_the_first(&set(&[])), None);
        assert_eq!(both(&set(&[1, 2, 3]), &set(&[0, 2, 3, 5])), set(&[2, 3]));
        assert_eq!(both(&set(&[1]), &set(&[0])).count(), 0, "nothing in common: the caller leaves the set");
    }

    #[test]
    fn a_backend_is_known_by_its_database_and_client_port() {
        let tcp = "postgres: folio perf_query_full 127.0.0.1(54321) idle\0";
        assert!(is_backend_title(tcp, "perf_query_full", Some(54321)));
        assert!(!is_backend_title(tcp, "perf_query_full", Some(5432)), "another connection's port");
        assert!(!is_backend_title(tcp, "perf_query_full", Some(4321)), "a suffix of the port is not the port");
        assert!(!is_backend_title(tcp, "other", Some(54321)), "another database");
        assert!(!is_backend_title(tcp, "perf_query_full", None), "a TCP backend is not a socket one");
        let socket = "postgres: folio folio_test [local] SELECT";
        assert!(is_backend_title(socket, "folio_test", None));
        assert!(!is_backend_title("/usr/lib/postgresql/15/bin/postgres -D /data", "folio_test", None));
        assert!(!is_backend_title("bash\0", "folio_test", None));
        assert!(!is_backend_title("postgres: folio", "folio", None), "a title cut short");
    }
}
