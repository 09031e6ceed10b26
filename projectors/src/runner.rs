//! The projector runner: feed → batch → one transaction (rows + checkpoint) → notice → ack.
//!
//! Rules:
//! - Events at or below the checkpoint are skipped, so redelivery (NATS, a restart between commit
//!   and ack) changes nothing.
//! - A batch's writes and checkpoint commit together or not at all (invariant 4).
//! - A store outage ([`ApplyError::Unavailable`]) is retried with backoff for as long as it lasts.
//!   A rejected batch is retried `retries` times; then its events are applied one by one, and the
//!   one that still fails is parked (`projection_parked`) with its error and skipped. An event
//!   that cannot be decoded is parked at once.
//! - Acks go out only after the commit.

use crate::error::{ApplyError, RunnerError};
use crate::feed::{Batch, Feed};
use crate::notices::Notifier;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::{ParkedEvent, ReadStore};
use chrono::{DateTime, Utc};
use events::{Position, RecordedEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerConfig {
    /// Most events in one transaction.
    pub batch_size: usize,
    /// How long a batch waits to fill once its first event is in.
    pub linger: Duration,
    /// Attempts at a rejected batch (and then at each of its events) before parking.
    pub retries: u32,
    /// First retry delay; doubles per attempt up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            batch_size: 2000,
            linger: Duration::from_millis(2),
            retries: 3,
            backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Runs one projection from one feed.
pub struct Runner {
    projection: Arc<dyn Projection>,
    store: ReadStore,
    // Behind a (never contended) lock so the runner is Sync: its futures hold `&self`.
    feed: tokio::sync::Mutex<Box<dyn Feed>>,
    notifier: Option<Notifier>,
    config: RunnerConfig,
    checkpoint: Position,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("projection", &self.projection.name())
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

/// An event and, if it could not be decoded, why.
enum Prepared {
    Apply(Decoded),
    Poison(ParkedEvent),
}

impl Runner {
    /// Reads the projection's checkpoint and is ready to run.
    pub async fn new(
        projection: Arc<dyn Projection>,
        store: ReadStore,
        feed: Box<dyn Feed>,
        notifier: Option<Notifier>,
        config: RunnerConfig,
    ) -> Result<Self, RunnerError> {
        let checkpoint = store.checkpoint(projection.name()).await?;
        Ok(Self { projection, store, feed: tokio::sync::Mutex::new(feed), notifier, config, checkpoint })
    }

    pub fn checkpoint(&self) -> Position {
        self.checkpoint
    }

    pub fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// Runs until `stop` turns true; a batch in progress commits first. An error it cannot get
    /// past is logged and marks the projection `halted` (in `projection_checkpoints`) before it
    /// is returned.
    pub async fn run(self, stop: watch::Receiver<bool>) -> Result<(), RunnerError> {
        let (name, store) = (self.name(), self.store.clone());
        if let Err(error) = store.set_state(name, "running").await {
            tracing::warn!(projection = name, %error, "could not record the projection as running");
        }
        let result = self.run_loop(stop).await;
        if let Err(error) = &result {
            tracing::error!(projection = name, %error, "projector halted");
            if let Err(error) = store.set_state(name, "halted").await {
                tracing::error!(projection = name, %error, "could not record the projection as halted");
            }
        }
        result
    }

    async fn run_loop(mut self, mut stop: watch::Receiver<bool>) -> Result<(), RunnerError> {
        tracing::info!(projection = self.name(), checkpoint = self.checkpoint, "projector running");
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let batch = {
                let mut feed = self.feed.lock().await;
                tokio::select! {
                    batch = feed.next_batch(self.checkpoint, self.config.batch_size, self.config.linger) => batch,
                    _ = stop.changed() => return Ok(()),
                }
            };
            match batch {
                Ok(batch) => self.process(batch).await?,
                Err(error) => {
                    tracing::warn!(projection = self.name(), %error, "feed failed; retrying");
                    tokio::time::sleep(self.config.backoff).await;
                }
            }
        }
    }

    /// Applies with `projection` from now on: a rebuild's bulk variant gives way to the
    /// projection itself. Rule: the same name and the same event types.
    pub fn replace_projection(&mut self, projection: Arc<dyn Projection>) {
        debug_assert_eq!(projection.name(), self.projection.name());
        self.projection = projection;
    }

    /// Processes what the feed has until the checkpoint reaches `target` (tests and tools drain
    /// work with this instead of sleeping). Returns the checkpoint.
    pub async fn run_until(&mut self, target: Position) -> Result<Position, RunnerError> {
        while self.checkpoint < target {
            let batch =
                self.feed.lock().await.next_batch(self.checkpoint, self.config.batch_size, self.config.linger).await?;
            self.process(batch).await?;
        }
        Ok(self.checkpoint)
    }

    async fn process(&mut self, batch: Batch) -> Result<(), RunnerError> {
        let upto = batch.through;
        if upto <= self.checkpoint {
            return Ok(());
        }
        let batch: Vec<RecordedEvent> = batch.events.into_iter().filter(|e| e.position > self.checkpoint).collect();
        let mut previous = self.checkpoint;
        for event in &batch {
            if event.position <= previous || event.position > upto {
                return Err(RunnerError::OutOfOrder { after: previous, got: event.position });
            }
            previous = event.position;
        }
        let last_at = batch.last().map(|e| e.recorded_at);
        let prepared: Vec<Prepared> =
            batch.into_iter().filter(|e| self.projection.handles(&e.event_type)).map(|e| self.prepare(e)).collect();
        let applied = match self.apply_with_retries(prepared, upto, last_at).await {
            Ok(applied) => applied,
            Err(RunnerError::CheckpointMoved(position)) => {
                tracing::warn!(
                    projection = self.name(),
                    from = self.checkpoint,
                    to = position,
                    "checkpoint moved; following it"
                );
                self.checkpoint = position;
                // Someone else moved it (a rebuild's switch, a reset): the rows may have changed
                // wholesale, so every cache of this projection's rows must go.
                if let Some(notifier) = &self.notifier {
                    let everything = crate::ChangeNotice {
                        projection: self.name().to_owned(),
                        everything: true,
                        position,
                        ..crate::ChangeNotice::default()
                    };
                    notifier.announce(everything).await;
                }
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        self.checkpoint = upto;
        if let Some(notifier) = &self.notifier {
            notifier.announce(crate::notices::notice_of(self.name(), upto, applied)).await;
        }
        self.feed.lock().await.acknowledge(upto).await?;
        Ok(())
    }

    fn prepare(&self, recorded: RecordedEvent) -> Prepared {
        let (position, event_id, event_type) = (recorded.position, recorded.event_id, recorded.event_type.clone());
        match Decoded::decode(recorded) {
            Ok(decoded) => Prepared::Apply(decoded),
            Err(error) => Prepared::Poison(ParkedEvent {
                projection: self.name().to_owned(),
                position,
                event_id,
                event_type,
                error: error.to_string(),
                attempts: 0,
            }),
        }
    }

    /// Commits `prepared` and the checkpoint `upto`, retrying and parking as the rules say.
    async fn apply_with_retries(
        &self,
        prepared: Vec<Prepared>,
        upto: Position,
        last_at: Option<DateTime<Utc>>,
    ) -> Result<Applied, RunnerError> {
        let (mut decoded, mut poison) = (Vec::new(), Vec::new());
        for item in prepared {
            match item {
                Prepared::Apply(d) => decoded.push(d),
                Prepared::Poison(p) => poison.push(p),
            }
        }
        let from = self.checkpoint;
        let whole = Step { decoded: &decoded, poison: &poison, from, upto, last_at };
        match self.commit_retrying(&whole).await? {
            Ok(applied) => return Ok(applied),
            Err(error) => {
                tracing::warn!(projection = self.name(), %error, "batch rejected; applying its events one by one")
            }
        }
        // Park undecodable events first, without moving the checkpoint past anything unapplied.
        if !poison.is_empty() {
            self.commit_until_done(&Step { poison: &poison, ..Step::checkpoint(from, from, None) }).await?;
        }
        let mut applied = Applied::default();
        let mut at = from;
        for event in &decoded {
            let one = Step {
                decoded: std::slice::from_ref(event),
                ..Step::checkpoint(at, event.position, Some(event.recorded_at))
            };
            match self.commit_retrying(&one).await? {
                Ok(more) => applied.merge(more),
                Err(error) => {
                    tracing::error!(projection = self.name(), position = event.position, %error, "event parked");
                    let parked = ParkedEvent {
                        projection: self.name().to_owned(),
                        position: event.position,
                        event_id: event.event_id,
                        event_type: event.event.event_type().to_owned(),
                        error: error.to_string(),
                        attempts: self.config.retries,
                    };
                    let step = Step {
                        poison: std::slice::from_ref(&parked),
                        ..Step::checkpoint(at, event.position, Some(event.recorded_at))
                    };
                    self.commit_until_done(&step).await?;
                }
            }
            at = event.position;
        }
        // The events the projection ignores after the last one applied.
        self.commit_until_done(&Step::checkpoint(at, upto, last_at)).await?;
        Ok(applied)
    }

    /// Ok(Ok) committed; Ok(Err) rejected after every retry; Err if the checkpoint moved.
    async fn commit_retrying(&self, step: &Step<'_>) -> Result<Result<Applied, ApplyError>, RunnerError> {
        let mut rejections = 0;
        let mut delay = self.config.backoff;
        loop {
            match self.commit(step).await {
                Ok(applied) => return Ok(Ok(applied)),
                Err(ApplyError::CheckpointMoved(position)) => return Err(RunnerError::CheckpointMoved(position)),
                Err(ApplyError::Unavailable(error)) => {
                    tracing::warn!(projection = self.name(), %error, "read store unavailable; retrying");
                }
                Err(error @ ApplyError::Rejected(_)) => {
                    rejections += 1;
                    if rejections >= self.config.retries.max(1) {
                        return Ok(Err(error));
                    }
                    tracing::warn!(projection = self.name(), %error, attempt = rejections, "batch rejected; retrying");
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.config.max_backoff);
        }
    }

    /// Commits what cannot be rejected (parking and checkpoints), waiting out outages.
    async fn commit_until_done(&self, step: &Step<'_>) -> Result<Applied, RunnerError> {
        match self.commit_retrying(step).await? {
            Ok(applied) => Ok(applied),
            Err(error) => Err(RunnerError::ReadStore(sqlx::Error::Protocol(error.to_string()))),
        }
    }

    async fn commit(&self, step: &Step<'_>) -> Result<Applied, ApplyError> {
        let mut tx = self.store.begin().await?;
        let at = tx.lock_checkpoint(self.name()).await?;
        if at != step.from {
            return Err(ApplyError::CheckpointMoved(at));
        }
        let applied = if step.decoded.is_empty() {
            Applied::default()
        } else {
            self.projection.apply(&mut tx, step.decoded).await?
        };
        for parked in step.poison {
            tx.park(parked).await?;
        }
        tx.save_checkpoint(self.name(), step.upto, step.last_at).await?;
        tx.commit().await?;
        Ok(applied)
    }
}

/// One transaction's worth: events to apply and to park, and the checkpoint's move `from` → `upto`.
struct Step<'a> {
    decoded: &'a [Decoded],
    poison: &'a [ParkedEvent],
    from: Position,
    upto: Position,
    last_at: Option<DateTime<Utc>>,
}

impl Step<'_> {
    fn checkpoint(from: Position, upto: Position, last_at: Option<DateTime<Utc>>) -> Self {
        Self { decoded: &[], poison: &[], from, upto, last_at }
    }
}
