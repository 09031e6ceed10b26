//! The relay (`folio relay`, cluster profile): tails the event store's global log and publishes
//! every event to JetStream.
//!
//! Rules:
//! - Each message carries `Nats-Msg-Id` = event id, so a re-publish within the duplicate window
//!   is dropped by JetStream; later duplicates are skipped by projectors (position ≤ checkpoint).
//! - Up to `window` publishes are in flight; the checkpoint (`projection_checkpoints`, name
//!   `relay`) is saved only after every PubAck up to it arrived.
//! - When a publish fails (NATS down, timeout), the relay waits and re-publishes everything after
//!   its last acknowledged position; the client reconnects by itself. Nothing is skipped: a gap can
//!   only come from a message JetStream refused, and projectors repair gaps from the store.
//! - NATS need not be up when the relay starts: the stream is ensured before the first publish,
//!   and a failure there is a failed round like any other.
//! - Every PubAck of a round is awaited (each within `ack_timeout`), so no publish of a failed
//!   round keeps one of the `window` permits past the round.

use crate::bus::{self, HEADER_EVENT_TYPE, HEADER_POSITION, HEADER_REQUEST_ID, HEADER_STREAM};
use crate::feed::{FeedError, StoreFeed};
use crate::read_store::ReadStore;
use async_nats::jetstream::{self, message::PublishMessage};
use events::{Position, RecordedEvent};
use infra::EventStore;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const CHECKPOINT: &str = "relay";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// Most publishes awaiting their PubAck.
    pub window: usize,
    /// Wait before re-publishing after a failure.
    pub retry: Duration,
    /// How long a publish waits for its PubAck before it counts as failed.
    pub ack_timeout: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self { window: 512, retry: Duration::from_millis(500), ack_timeout: Duration::from_secs(5) }
    }
}

pub struct Relay {
    feed: StoreFeed,
    context: jetstream::Context,
    checkpoints: ReadStore,
    config: RelayConfig,
    position: Position,
    stream_ensured: bool,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("position", &self.position).finish_non_exhaustive()
    }
}

impl Relay {
    /// Reads the relay's checkpoint (NATS is not touched before the first publish).
    pub async fn new(
        store: Arc<dyn EventStore>,
        client: async_nats::Client,
        checkpoints: ReadStore,
        config: RelayConfig,
    ) -> Result<Self, crate::RunnerError> {
        let context = jetstream::context::ContextBuilder::new()
            .timeout(config.ack_timeout)
            .max_ack_inflight(config.window.max(1))
            .build(client);
        let position = checkpoints.checkpoint(CHECKPOINT).await?;
        Ok(Self { feed: StoreFeed::new(store), context, checkpoints, config, position, stream_ensured: false })
    }

    /// The last position JetStream acknowledged.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Publishes until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), crate::RunnerError> {
        tracing::info!(position = self.position, "relay running");
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let batch = tokio::select! {
                batch = self.feed.next_events(self.position, self.config.window, Duration::from_millis(1)) => batch?,
                _ = stop.changed() => return Ok(()),
            };
            self.publish_until_acked(&batch).await?;
        }
    }

    /// Publishes what is in the log until the relay reaches `target` (tests drain with this).
    pub async fn run_until(&mut self, target: Position) -> Result<Position, crate::RunnerError> {
        while self.position < target {
            let batch = self.feed.next_events(self.position, self.config.window, Duration::from_millis(1)).await?;
            self.publish_until_acked(&batch).await?;
        }
        Ok(self.position)
    }

    async fn publish_until_acked(&mut self, batch: &[RecordedEvent]) -> Result<(), crate::RunnerError> {
        let mut pending: &[RecordedEvent] = batch;
        while !pending.is_empty() {
            let acked = if self.ensure_stream().await { publish(&self.context, pending).await } else { 0 };
            if acked > 0 {
                let last = &pending[acked - 1];
                let mut tx = self.checkpoints.begin().await?;
                tx.save_checkpoint(CHECKPOINT, last.position, Some(last.recorded_at)).await?;
                tx.commit().await?;
                self.position = last.position;
                pending = &pending[acked..];
            }
            if !pending.is_empty() {
                // Nothing went through: the next round checks the stream again (it may be gone).
                self.stream_ensured &= acked > 0;
                tokio::time::sleep(self.config.retry).await;
            }
        }
        Ok(())
    }

    /// Whether the stream is known to exist (created now if it was missing).
    async fn ensure_stream(&mut self) -> bool {
        if !self.stream_ensured {
            match bus::ensure_stream(&self.context).await {
                Ok(_) => self.stream_ensured = true,
                Err(error) => tracing::warn!(%error, "cannot reach JetStream; will retry"),
            }
        }
        self.stream_ensured
    }
}

/// Publishes `events` with every PubAck in flight at once; returns how many, from the start,
/// JetStream acknowledged.
async fn publish(context: &jetstream::Context, events: &[RecordedEvent]) -> usize {
    let mut acks = Vec::with_capacity(events.len());
    for event in events {
        match send(context, event).await {
            Ok(ack) => acks.push(ack.into_future()),
            Err(error) => {
                tracing::warn!(position = event.position, %error, "publish failed; will retry");
                break;
            }
        }
    }
    let results = futures_util::future::join_all(acks).await;
    let acknowledged = results.iter().take_while(|result| result.is_ok()).count();
    if let Some(Err(error)) = results.get(acknowledged) {
        tracing::warn!(position = events[acknowledged].position, %error, "no PubAck; will re-publish");
    }
    acknowledged
}

async fn send(
    context: &jetstream::Context,
    event: &RecordedEvent,
) -> Result<jetstream::context::PublishAckFuture, FeedError> {
    let payload = serde_json::to_vec(event).map_err(|e| FeedError::Nats(e.to_string()))?;
    let mut message = PublishMessage::build()
        .payload(payload.into())
        .message_id(event.event_id.to_string())
        .header(HEADER_POSITION, event.position.to_string().as_str())
        .header(HEADER_EVENT_TYPE, event.event_type.as_str())
        .header(HEADER_STREAM, event.stream_id.as_str());
    if let Some(request_id) = &event.metadata.request_id {
        message = message.header(HEADER_REQUEST_ID, request_id.as_str());
    }
    context
        .send_publish(bus::subject(event.stream_id.category()), message)
        .await
        .map_err(|e| FeedError::Nats(e.to_string()))
}
