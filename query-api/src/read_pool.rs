//! The query API's PostgreSQL connections: a small pool per thread, handed out and taken back
//! without a round trip.
//!
//! Why not sqlx's `PgPool` here: it pings every connection it takes back, a second round trip
//! per read run by a task spawned on the releasing thread, and the connection is nobody's until
//! that task ran. One pool shared by actix's workers also makes reads hop threads: a socket is
//! polled by the runtime it was opened on. Measured in perf/RESULTS.md ("Read connections").
//!
//! Rules:
//! - Each thread that reads has its own pool of up to `size` connections, opened on that thread
//!   (so on its runtime) when first needed, and kept open.
//! - A [`Lease`] goes back to the pool it came from when dropped, and only if its statement ran
//!   to its end ([`Lease::finished`]). A read cancelled mid-statement, or one that failed on
//!   I/O, closes its connection instead: no connection is reused in an unknown state.
//! - Waiting for a connection, opening one included, is bounded by `acquire_timeout`.
//! - After [`ThreadPools::close`] no connection opens or goes back; idle ones close as their
//!   thread next reads or ends.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per-thread pools over one set of connect options. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ThreadPools {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: PgConnectOptions,
    size: usize,
    acquire_timeout: Duration,
    closed: AtomicBool,
}

#[derive(Debug)]
struct LocalPool {
    idle: Mutex<Vec<PgConnection>>,
    permits: Arc<Semaphore>,
}

thread_local! {
    /// This thread's pool of each live [`ThreadPools`].
    static POOLS: RefCell<Vec<(Weak<Shared>, Arc<LocalPool>)>> = const { RefCell::new(Vec::new()) };
}

impl ThreadPools {
    pub fn new(options: PgConnectOptions, size: u32, acquire_timeout: Duration) -> Self {
        let shared = Shared {
            options,
            size: usize::try_from(size.max(1)).unwrap_or(1),
            acquire_timeout,
            closed: AtomicBool::new(false),
        };
        Self { shared: Arc::new(shared) }
    }

    /// Most connections one thread opens.
    pub fn size(&self) -> u32 {
        u32::try_from(self.shared.size).unwrap_or(u32::MAX)
    }

    fn local(&self) -> Arc<LocalPool> {
        POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            pools.retain(|(owner, _)| owner.strong_count() > 0);
            if let Some((_, pool)) = pools.iter().find(|(owner, _)| owner.as_ptr() == Arc::as_ptr(&self.shared)) {
                return pool.clone();
            }
            let pool = Arc::new(LocalPool {
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(self.shared.size)),
            });
            pools.push((Arc::downgrade(&self.shared), pool.clone()));
            pool
        })
    }

    /// A connection of this thread's pool: an idle one, or a new one while fewer than `size`
    /// are out; else the first one given back.
    pub async fn acquire(&self) -> Result<Lease, sqlx::Error> {
        tokio::time::timeout(self.shared.acquire_timeout, self.lease()).await.map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn lease(&self) -> Result<Lease, sqlx::Error> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        let home = self.local();
        let permit = home.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = home.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let mut connection = PgConnection::connect_with(&self.shared.options).await?;
                infra::priority::on_postgres_connect(&mut connection).await?;
                connection
            }
        };
        Ok(Lease { connection: Some(connection), home, shared: self.shared.clone(), finished: false, _permit: permit })
    }

    /// Stops handing out connections; this thread's idle ones close now.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.local().idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// A connection out of its pool. Dereferences to the connection.
#[derive(Debug)]
pub struct Lease {
    connection: Option<PgConnection>,
    home: Arc<LocalPool>,
    shared: Arc<Shared>,
    finished: bool,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// The statement ran to its end (with rows or a database error): the connection may serve
    /// the next read.
    pub fn finished(&mut self) {
        self.finished = true;
    }
}

#[allow(clippy::expect_used)] // the connection is Some from acquire until drop
impl std::ops::Deref for Lease {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.connection.as_ref().expect("a lease holds its connection until dropped")
    }
}

#[allow(clippy::expect_used)] // the connection is Some from acquire until drop
impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if self.finished && !self.shared.closed.load(Ordering::Acquire) {
                self.home.idle.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
            }
            // Otherwise dropping the connection closes its socket.
        }
    }
}
