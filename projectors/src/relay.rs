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

use crate::bus::{self, HEADER_EVENT_TYPE, HEADER_POSITION, HEADER_REQUEST_ID, HEADER_STREAM};
use crate::feed::{FeedError, StoreFeed};
use crate::read_store::ReadStore;
use async_nats::jetstream::{self, message::PublishMessage};
use events::{Position, RecordedEvent};
use infra::EventStore;
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
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("position", &self.position).finish_non_exhaustive()
    }
}

impl Relay {
    /// Ensures the JetStream stream exists and reads the relay's checkpoint.
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
        bus::ensure_stream(&context).await?;
        let position = checkpoints.checkpoint(CHECKPOINT).await?;
        Ok(Self { feed: StoreFeed::new(store), context, checkpoints, config, position })
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
            let acked = publish(&self.context, pending).await;
            if acked > 0 {
                let last = &pending[acked - 1];
                let mut tx = self.checkpoints.begin().await?;
                tx.save_checkpoint(CHECKPOINT, last.position, Some(last.recorded_at)).await?;
                tx.commit().await?;
                self.position = last.position;
                pending = &pending[acked..];
            }
            if !pending.is_empty() {
                tokio::time::sleep(self.config.retry).await;
            }
        }
        Ok(())
    }
}

/// Publishes `events` with every PubAck in flight at once; returns how many, from the start,
/// JetStream acknowledged.
async fn publish(context: &jetstream::Context, events: &[RecordedEvent]) -> usize {
    let mut acks = Vec::with_capacity(events.len());
    for event in events {
        match send(context, event).await {
            Ok(ack) => acks.push(ack),
            Err(error) => {
                tracing::warn!(position = event.position, %error, "publish failed; will retry");
                break;
            }
        }
    }
    let mut acknowledged = 0;
    for (ack, event) in acks.into_iter().zip(events) {
        match ack.await {
            Ok(_) => acknowledged += 1,
            Err(error) => {
                tracing::warn!(position = event.position, %error, "no PubAck; will re-publish");
                break;
            }
        }
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
