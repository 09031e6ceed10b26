//! Blue/green rebuild of one projection: the next version of its tables is built from the event
//! store (never from NATS) beside the live version, which keeps serving and keeps being updated,
//! then swapped in atomically.
//!
//! Rules:
//! - The next version is built from the store through a [`TypedFeed`]: only the event types
//!   the projection handles, at its own pace, so several rebuilds in one process overlap instead
//!   of moving in step with the slowest.
//! - The next version is built without the projection's [`Projection::deferred_indexes`]; they
//!   are built in bulk once it has caught up, before the switch (the dropped definitions are
//!   recorded in the next version, so a resumed rebuild knows them).
//! - A projection with a bulk variant ([`Projection::bulk_build`]) builds its next version with
//!   the variant until it has caught up, then completes it in one transaction and goes on with
//!   the projection itself; which of the two built the rows is recorded in the next version, so
//!   a resumed rebuild never completes twice (see [`bulk`]).
//! - The next version lives apart (PostgreSQL: the schema `folio_rebuild_<projection>` with the
//!   whole read-model schema migrated in it; SQLite: the file `<read file>.rebuild-<projection>`),
//!   with its own checkpoint, so a rebuild that crashed resumes where it committed.
//! - The switch is one transaction on the live database. It first locks the live checkpoint row,
//!   so the live runner cannot commit meanwhile, then swaps the tables (PostgreSQL: moves them
//!   between schemas; SQLite: replaces the rows), and sets the live checkpoint to the rebuilt
//!   one. The live runner then finds its checkpoint moved, follows it (applying whatever the
//!   rebuild had not reached, exactly once), and announces `everything` so caches drop.
//! - One rebuild of a projection at a time: [`lock`] is taken before the next version is opened
//!   and held until the rebuild is dropped; a second is refused.
//! - Readers never see a half-switched state: PostgreSQL's DDL is transactional, SQLite readers
//!   keep their snapshot until the commit.

mod bulk;
pub mod lock;
mod postgres;
pub mod reset;
mod sqlite;

use crate::feed::TypedFeed;
use crate::read_store::ReadStore;
use crate::{Projection, Runner, RunnerConfig, RunnerError};
use bulk::BulkState;
use events::Position;
use infra::EventStore;
use lock::RebuildLock;
use std::sync::Arc;

/// The state a projection shows while its next version is being built.
pub const REBUILDING: &str = "rebuilding";

/// A rebuild in progress.
pub struct Rebuild {
    projection: Arc<dyn Projection>,
    store: Arc<dyn EventStore>,
    live: ReadStore,
    next: ReadStore,
    runner: Runner,
    location: Location,
    bulk: BulkState,
    /// Released when the rebuild is dropped (after its switch, or abandoned), once the next
    /// version's connections have closed (see the `Drop` impl). `None` only inside `drop`.
    lock: Option<RebuildLock>,
}

impl Drop for Rebuild {
    /// A dropped pool closes its connections in the background, and SQLite's close of a file's
    /// last connection checkpoints it and deletes `<file>-wal` by name. Were the lock released
    /// at once, a `--restart` of the same projection in this process could discard and create
    /// the next version's file meanwhile, and lose its new WAL to the old connection's close
    /// ("disk I/O error"). So the lock goes once the pool has closed. (A crashed process has no
    /// such connections: the kernel closes them without a checkpoint.)
    fn drop(&mut self) {
        let Some(lock) = self.lock.take() else { return };
        let next = self.next.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                next.close().await;
                drop(lock);
            });
        }
    }
}

impl std::fmt::Debug for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebuild")
            .field("projection", &self.projection.name())
            .field("location", &self.location)
            .finish()
    }
}

/// Where the next version is built.
#[derive(Debug, Clone)]
pub enum Location {
    Schema(String),
    File(std::path::PathBuf),
}

/// What a switch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switched {
    /// The live checkpoint after the switch (the rebuilt one).
    pub position: Position,
    /// Where the previous version went (PostgreSQL, unless dropped); SQLite replaces rows.
    pub old: Option<String>,
}

impl Rebuild {
    /// Opens the next version of `projection` beside `live` (resuming one that was left
    /// unfinished, unless `restart`), once it holds the projection's rebuild [`lock`].
    pub async fn open(
        store: Arc<dyn EventStore>,
        live: &ReadStore,
        projection: Arc<dyn Projection>,
        config: RunnerConfig,
        restart: bool,
    ) -> Result<Self, RunnerError> {
        let lock = lock::acquire(live, projection.name()).await?;
        Self::open_locked(lock, store, live, projection, config, restart).await
    }

    /// As [`Rebuild::open`], with the lock already taken by [`lock::acquire`] (a command that
    /// rebuilds several projections takes all their locks first).
    pub async fn open_locked(
        lock: RebuildLock,
        store: Arc<dyn EventStore>,
        live: &ReadStore,
        projection: Arc<dyn Projection>,
        config: RunnerConfig,
        restart: bool,
    ) -> Result<Self, RunnerError> {
        let (next, location) = match live {
            ReadStore::Postgres(pool) => {
                postgres::open(pool, projection.name(), projection.deferred_indexes(), restart).await?
            }
            ReadStore::Sqlite(pool) => {
                sqlite::open(pool, projection.name(), projection.deferred_indexes(), restart).await?
            }
        };
        match Self::start(&store, live, &projection, config, &next).await {
            Ok((runner, bulk)) => {
                Ok(Self { projection, store, live: live.clone(), next, runner, location, bulk, lock: Some(lock) })
            }
            Err(error) => {
                // Closed before the lock goes (at the end of this function): see the `Drop` impl.
                next.close().await;
                Err(error)
            }
        }
    }

    /// The runner that builds the opened next version, and how it builds it.
    async fn start(
        store: &Arc<dyn EventStore>,
        live: &ReadStore,
        projection: &Arc<dyn Projection>,
        config: RunnerConfig,
        next: &ReadStore,
    ) -> Result<(Runner, BulkState), RunnerError> {
        let variant = projection.bulk_build();
        let bulk = bulk::open(next, projection.name(), variant.is_some()).await?;
        let applying = match (bulk, variant) {
            (BulkState::Building, Some(variant)) => variant,
            _ => projection.clone(),
        };
        let feed = Box::new(TypedFeed::new(store.clone(), projection.as_ref()));
        let runner = Runner::new(applying, next.clone(), feed, None, config).await?;
        live.set_state(projection.name(), REBUILDING).await?;
        Ok((runner, bulk))
    }

    async fn check_lock(&mut self) -> Result<(), RunnerError> {
        match &mut self.lock {
            Some(lock) => lock.check(self.projection.name()).await,
            None => Ok(()),
        }
    }

    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// How far the next version has applied the log.
    pub fn checkpoint(&self) -> Position {
        self.runner.checkpoint()
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Applies the log to the next version up to the head as it is when each step starts,
    /// `step` events at a time, calling `progress(checkpoint, head)` after each step; returns
    /// when the next version has reached the head.
    pub async fn catch_up(
        &mut self,
        step: u64,
        mut progress: impl FnMut(Position, Position),
    ) -> Result<Position, RunnerError> {
        loop {
            let head = self.store.head().await.map_err(|e| RunnerError::Feed(e.into()))?;
            if self.runner.checkpoint() >= head {
                progress(self.runner.checkpoint(), head);
                return Ok(self.runner.checkpoint());
            }
            let target = head.min(self.runner.checkpoint().saturating_add(step.max(1)));
            self.runner.run_until(target).await?;
            self.check_lock().await?;
            progress(self.runner.checkpoint(), head);
        }
    }

    /// Once the next version has caught up, does what it was built without: the bulk
    /// variant's completion (after which the log is applied with the projection itself) and
    /// the deferred indexes (PostgreSQL). [`Rebuild::switch`] does it if this was not called.
    /// Several rebuilds call it as each catches up, so one's bulk work overlaps the others'
    /// catch-up.
    pub async fn finish_bulk_work(&mut self) -> Result<(), RunnerError> {
        if self.bulk == BulkState::Building {
            let name = self.projection.name();
            let mut tx = self.next.begin().await?;
            self.projection
                .complete_bulk_build(&mut tx)
                .await
                .map_err(|e| RunnerError::Rebuild(format!("completing the bulk build of {name}: {e}")))?;
            bulk::mark_completed(&mut tx, name).await?;
            tx.commit().await?;
            self.runner.replace_projection(self.projection.clone());
            self.bulk = BulkState::Off;
        }
        match (&self.live, &self.next, &self.location) {
            (ReadStore::Postgres(live), _, Location::Schema(schema)) => postgres::finish(live, schema).await?,
            (ReadStore::Sqlite(_), ReadStore::Sqlite(next), Location::File(_)) => sqlite::finish(next).await?,
            _ => {}
        }
        Ok(())
    }

    /// Catches up once more, then swaps the next version in (see the module rules). With
    /// `drop_old`, the previous version is dropped after the commit.
    pub async fn switch(mut self, drop_old: bool) -> Result<Switched, RunnerError> {
        // Done before the final catch-up, so the switch waits only for what arrived meanwhile.
        self.finish_bulk_work().await?;
        self.catch_up(u64::MAX, |_, _| {}).await?;
        self.check_lock().await?;
        let name = self.projection.name();
        let position = self.runner.checkpoint();
        let old = match (&self.live, &self.next, &self.location) {
            (ReadStore::Postgres(live), ReadStore::Postgres(_), Location::Schema(schema)) => {
                Some(postgres::switch(live, schema, name, self.projection.tables(), position, drop_old).await?)
                    .filter(|_| !drop_old)
            }
            (ReadStore::Sqlite(live), ReadStore::Sqlite(_), Location::File(path)) => {
                sqlite::switch(live, path, name, self.projection.tables(), position).await?;
                None
            }
            _ => return Err(RunnerError::Rebuild("the next version is on another backend".into())),
        };
        self.next.close().await;
        match &self.location {
            Location::Schema(schema) => postgres::discard(&self.live, schema).await?,
            Location::File(path) => sqlite::discard(path),
        }
        Ok(Switched { position, old })
    }
}
