//! Lower CPU priority for work that must yield to the serving roles: a rebuild on a live site.
//!
//! Rules:
//! - [`lower_this_process`] renices every thread of this process; threads started later inherit
//!   the value from the thread that starts them (Linux keeps the nice value per thread).
//! - Once [`lower_backends`] is called, every PostgreSQL connection the process opens afterwards
//!   (through [`on_postgres_connect`], which every pool of Folio runs) asks for its backend's pid
//!   and renices that process too, since on one machine the database does half the work.
//! - A pid is only reniced when it is provably this connection's backend on this host: the
//!   process title PostgreSQL gives it names the connection's database and, over TCP, the
//!   client port the server reports for it. A server on another host (whose pids mean nothing
//!   here), another PID namespace or missing permission (renicing another user's process needs
//!   root or the same user) leaves the backend as it is; [`backends`] counts both outcomes and
//!   keeps the first reason.
//! - Nothing here ever raises a priority.

use sqlx::PgConnection;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

/// The nice value [`lower_backends`] gives backends; 0 means "leave them alone".
static BACKEND_NICE: AtomicI32 = AtomicI32::new(0);
static LOWERED: AtomicU64 = AtomicU64::new(0);
static LEFT: AtomicU64 = AtomicU64::new(0);
static FIRST_REASON: Mutex<Option<String>> = Mutex::new(None);

/// The lowest priority Linux has for a normal process.
pub const LOWEST: i32 = 19;

/// How many backends were reniced, how many were left as they were, and why the first was left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendsLowered {
    pub lowered: u64,
    pub left: u64,
    pub first_reason: Option<String>,
}

/// Renices every thread of this process to `nice` (0..=19). Returns how many threads it changed.
pub fn lower_this_process(nice: i32) -> std::io::Result<usize> {
    let mut changed = 0;
    for entry in std::fs::read_dir("/proc/self/task")? {
        let Some(tid) = entry?.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        renice(tid, nice)?;
        changed += 1;
    }
    Ok(changed)
}

/// From now on, renice the backend of every PostgreSQL connection this process opens.
pub fn lower_backends(nice: i32) {
    BACKEND_NICE.store(nice.clamp(0, LOWEST), Ordering::SeqCst);
}

/// The outcome so far of [`lower_backends`].
pub fn backends() -> BackendsLowered {
    BackendsLowered {
        lowered: LOWERED.load(Ordering::SeqCst),
        left: LEFT.load(Ordering::SeqCst),
        first_reason: FIRST_REASON.lock().ok().and_then(|r| r.clone()),
    }
}

/// The `after_connect` step of every PostgreSQL pool: renices the backend when
/// [`lower_backends`] asked for it. Never fails the connection: a backend left as it was is
/// counted, with its reason.
pub async fn on_postgres_connect(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let nice = BACKEND_NICE.load(Ordering::SeqCst);
    if nice == 0 {
        return Ok(());
    }
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
        renice(pid, nice).map_err(|e| format!("renicing backend {pid}: {e}"))
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

fn renice(pid: u32, nice: i32) -> std::io::Result<()> {
    let pid = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw);
    let Some(pid) = pid else { return Err(std::io::ErrorKind::InvalidInput.into()) };
    rustix::process::setpriority_process(Some(pid), nice).map_err(std::io::Error::from)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::is_backend_title;

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

    /// Against the test server: the event store's pool renices each backend it opens once asked
    /// to (as root, which the test machine runs as; otherwise the refusal is counted and given).
    /// Runs in its own process (nextest), so the process-wide request stays in this test.
    #[tokio::test]
    async fn backends_opened_after_the_request_run_at_the_lowest_priority() {
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
        assert_eq!(nice_of(untouched), 0, "no request yet: the backend keeps its priority");
        assert_eq!(super::backends(), super::BackendsLowered::default());

        super::lower_backends(super::LOWEST);
        let after = connect(database.url.clone()).await;
        let lowered = pid_of(after.clone()).await;
        let outcome = super::backends();
        if is_root() {
            assert_eq!(nice_of(lowered), super::LOWEST, "{outcome:?}");
            assert!(outcome.lowered >= 1 && outcome.left == 0, "{outcome:?}");
        } else {
            assert!(outcome.left >= 1 && outcome.first_reason.is_some(), "{outcome:?}");
        }
        assert_eq!(nice_of(untouched), 0, "a backend opened before the request is left alone");
        before.close().await;
        after.close().await;
        database.drop_now().await;
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
