//! The query API's database connections: a small pool per thread, handed out and taken back
//! without a round trip.
//!
//! Why not sqlx's pools here: they ping every connection they take back (on PostgreSQL a second
//! round trip per read, on SQLite a message to the connection's own thread and back), run by a
//! task spawned on the releasing thread, and the connection is nobody's until that task ran. One
//! pool shared by actix's workers also makes reads hop threads: a socket is polled by the
//! runtime it was opened on. Measured in perf/RESULTS.md ("Read connections").
//!
//! Rules:
//! - Each thread that reads has its own pool of up to `size` connections, opened on that thread
//!   (so on its runtime) when first needed, and kept open.
//! - A [`Lease`] goes back to the pool it came from when dropped, and only if its statement ran
//!   to its end ([`Lease::finished`]). A read cancelled mid-statement, or one that failed on
//!   I/O, closes its connection instead: no connection is reused in an unknown state.
//! - Waiting for a connection, opening one included, is bounded by `acquire_timeout`.
//! - A connection idle for longer than [`IDLE_LIMIT`] is closed instead of handed out (a server,
//!   a NAT or a firewall may have dropped it meanwhile).
//! - After [`ThreadPools::close`] no connection opens or goes back; idle ones close as their
//!   thread next asks for one, or ends.
//! - Connections are counted per thread: a process opens at most `size` times the threads that
//!   read.

use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnection, PgDatabaseError, PgSeverity};
use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;
use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection the query API reads through: what runs once it is open.
pub trait ReadConnection: Connection + 'static {
    fn after_connect(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>>;
}

impl ReadConnection for PgConnection {
    /// A rebuild at low priority renices its backends; this is where that is asked for.
    fn after_connect(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(infra::priority::on_postgres_connect(self))
    }
}

impl ReadConnection for SqliteConnection {
    fn after_connect(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async { Ok(()) })
    }
}

/// Per-thread pools over one set of connect options. Cheap to clone.
#[derive(Debug)]
pub struct ThreadPools<C: ReadConnection> {
    shared: Arc<Shared<C>>,
}

impl<C: ReadConnection> Clone for ThreadPools<C> {
    fn clone(&self) -> Self {
        Self { shared: self.shared.clone() }
    }
}

#[derive(Debug)]
struct Shared<C: ReadConnection> {
    options: C::Options,
    size: usize,
    acquire_timeout: Duration,
    closed: AtomicBool,
}

/// How long a connection may sit idle and still be handed out.
pub const IDLE_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct LocalPool<C> {
    /// Idle connections, each with the moment it was given back; the newest last.
    idle: Mutex<Vec<(C, Instant)>>,
    permits: Arc<Semaphore>,
}

type AnyArc = Arc<dyn Any + Send + Sync>;

thread_local! {
    /// This thread's pool of each live [`ThreadPools`] (a `LocalPool<C>` beside a weak
    /// reference to its owner's shared part).
    static POOLS: RefCell<Vec<(Weak<dyn Any + Send + Sync>, AnyArc)>> = const { RefCell::new(Vec::new()) };
}

impl<C: ReadConnection> ThreadPools<C> {
    pub fn new(options: C::Options, size: u32, acquire_timeout: Duration) -> Self {
        let shared = Shared {
            options,
            size: usize::try_from(size.max(1)).unwrap_or(1),
            acquire_timeout,
            closed: AtomicBool::new(false),
        };
        Self { shared: Arc::new(shared) }
    }

    /// The longest wait for a connection.
    pub fn acquire_timeout(&self) -> Duration {
        self.shared.acquire_timeout
    }

    /// Most connections one thread opens.
    pub fn size(&self) -> u32 {
        u32::try_from(self.shared.size).unwrap_or(u32::MAX)
    }

    fn local(&self) -> Arc<LocalPool<C>> {
        let owner = Arc::as_ptr(&self.shared).cast::<()>();
        POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            pools.retain(|(shared, _)| shared.strong_count() > 0);
            let found = pools.iter().find(|(shared, _)| shared.as_ptr().cast::<()>() == owner);
            if let Some(pool) = found.and_then(|(_, pool)| pool.clone().downcast::<LocalPool<C>>().ok()) {
                return pool;
            }
            let pool = Arc::new(LocalPool::<C> {
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(self.shared.size)),
            });
            let shared: Arc<dyn Any + Send + Sync> = self.shared.clone();
            pools.push((Arc::downgrade(&shared), pool.clone()));
            pool
        })
    }

    /// A connection of this thread's pool: an idle one, or a new one while fewer than `size`
    /// are out; else the first one given back.
    pub async fn acquire(&self) -> Result<Lease<C>, sqlx::Error> {
        tokio::time::timeout(self.shared.acquire_timeout, self.lease()).await.map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn lease(&self) -> Result<Lease<C>, sqlx::Error> {
        let home = self.local();
        self.refuse_if_closed(&home)?;
        let permit = home.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        self.refuse_if_closed(&home)?;
        let idle = {
            let mut idle = home.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // The newest are last; anything idle too long is closed, oldest first.
            idle.retain(|(_, since)| since.elapsed() < IDLE_LIMIT);
            idle.pop().map(|(connection, _)| connection)
        };
        let (connection, reused) = match idle {
            Some(connection) => (connection, true),
            None => {
                let mut connection = C::connect_with(&self.shared.options).await?;
                connection.after_connect().await?;
                (connection, false)
            }
        };
        Ok(Lease {
            connection: Some(connection),
            home,
            shared: self.shared.clone(),
            finished: false,
            reused,
            _permit: permit,
        })
    }

    fn refuse_if_closed(&self, home: &LocalPool<C>) -> Result<(), sqlx::Error> {
        if self.shared.closed.load(Ordering::Acquire) {
            home.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
            return Err(sqlx::Error::PoolClosed);
        }
        Ok(())
    }

    /// Stops handing out connections; this thread's idle ones close now, other threads' when
    /// they next ask for one.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.local().idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// A connection out of its pool. Dereferences to the connection.
#[derive(Debug)]
pub struct Lease<C: ReadConnection> {
    connection: Option<C>,
    home: Arc<LocalPool<C>>,
    shared: Arc<Shared<C>>,
    finished: bool,
    reused: bool,
    _permit: OwnedSemaphorePermit,
}

impl<C: ReadConnection> Lease<C> {
    /// The statement ran to its end (with rows or a database error that left the session
    /// alive): the connection may serve the next read.
    pub fn finished(&mut self) {
        self.finished = true;
    }

    /// Whether the connection served reads before this one (it may have died while idle).
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Settles the lease after its statement: [`Lease::finished`] unless `outcome` says the
    /// session is gone ([`session_lost`]). Returns whether it is gone.
    pub fn settle<T>(&mut self, outcome: &Result<T, sqlx::Error>) -> bool {
        let lost = outcome.as_ref().is_err_and(session_lost);
        if !lost {
            self.finished();
        }
        lost
    }
}

/// Whether `error` leaves the connection unusable: anything but a database error, or one the
/// server sent as it ended the session (PostgreSQL severity FATAL or PANIC, e.g. 57P01 when an
/// operator or a shutdown terminated the backend). sqlx reports those as database errors and
/// keeps the connection.
pub fn session_lost(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(database) = error else { return true };
    database
        .try_downcast_ref::<PgDatabaseError>()
        .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic))
}

#[allow(clippy::expect_used)] // the connection is Some from acquire until drop
impl<C: ReadConnection> std::ops::Deref for Lease<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.connection.as_ref().expect("a lease holds its connection until dropped")
    }
}

#[allow(clippy::expect_used)] // the connection is Some from acquire until drop
impl<C: ReadConnection> std::ops::DerefMut for Lease<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.connection.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl<C: ReadConnection> Drop for Lease<C> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if self.finished && !self.shared.closed.load(Ordering::Acquire) {
                self.home.idle.lock().unwrap_or_else(PoisonError::into_inner).push((connection, Instant::now()));
            }
            // Otherwise dropping the connection closes its socket.
        }
    }
}
