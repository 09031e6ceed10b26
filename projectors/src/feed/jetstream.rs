//! A durable JetStream pull consumer as a feed, with the store as the repair source.
//!
//! Messages are buffered by position. A batch is the contiguous run after the checkpoint; if the
//! next position is not on NATS (a message JetStream refused, or one still in flight after a
//! relay restart re-ordered them), that stretch is read from the event store instead. Messages
//! at or below a committed position are acknowledged; nothing above it is.
//!
//! Nothing here needs NATS to be up when the feed is made: the stream and the consumer are bound
//! on the first pull, and a failure there is a [`FeedError`] the runner retries like any other.
//! The pull asks JetStream for idle heartbeats, so a pull request lost with a restarted server
//! is noticed within two heartbeats and the pull is opened again.

use super::{Batch, Feed, FeedError};
use crate::bus;
use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, consumer::DeliverPolicy};
use async_trait::async_trait;
use events::{Position, RecordedEvent};
use futures_util::StreamExt;
use infra::EventStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How far a batch may run ahead of a missing position before the store fills the gap.
const GAP_PATIENCE: Duration = Duration::from_millis(200);
/// How often an idle pull hears from the server; two missed mean the pull request is gone.
const IDLE_HEARTBEAT: Duration = Duration::from_secs(5);
/// How long one pull request lives on the server before the client renews it.
const PULL_EXPIRES: Duration = Duration::from_secs(30);

pub struct JetStreamFeed {
    context: jetstream::Context,
    name: String,
    max_ack_pending: i64,
    /// Bound on the first pull (NATS may be down when the feed is made).
    consumer: Option<jetstream::consumer::Consumer<pull::Config>>,
    /// The long-lived pull (prefetching up to a batch ahead, with heartbeats); reopened after
    /// an error.
    messages: Option<pull::Stream>,
    prefetch: usize,
    store: Arc<dyn EventStore>,
    buffer: BTreeMap<Position, RecordedEvent>,
    unacked: BTreeMap<Position, Vec<jetstream::Message>>,
}

impl std::fmt::Debug for JetStreamFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamFeed").field("buffered", &self.buffer.len()).finish_non_exhaustive()
    }
}

impl JetStreamFeed {
    /// A feed on the durable consumer `folio-<projection>`, bound (created if needed) on the
    /// first pull.
    pub fn new(client: async_nats::Client, store: Arc<dyn EventStore>, projection: &str, max_batch: usize) -> Self {
        Self {
            context: jetstream::new(client),
            name: format!("folio-{projection}"),
            max_ack_pending: i64::try_from(max_batch.saturating_mul(4).max(1000)).unwrap_or(i64::MAX),
            consumer: None,
            messages: None,
            prefetch: max_batch.max(1),
            store,
            buffer: BTreeMap::new(),
            unacked: BTreeMap::new(),
        }
    }

    /// The bound consumer (a cheap handle), binding it first if needed.
    async fn consumer(&mut self) -> Result<jetstream::consumer::Consumer<pull::Config>, FeedError> {
        if let Some(consumer) = &self.consumer {
            return Ok(consumer.clone());
        }
        let stream = bus::ensure_stream(&self.context).await?;
        let consumer = stream
            .get_or_create_consumer(
                &self.name,
                pull::Config {
                    durable_name: Some(self.name.clone()),
                    ack_policy: AckPolicy::Explicit,
                    deliver_policy: DeliverPolicy::All,
                    ack_wait: Duration::from_secs(60),
                    max_ack_pending: self.max_ack_pending,
                    ..pull::Config::default()
                },
            )
            .await
            .map_err(|e| FeedError::Nats(e.to_string()))?;
        self.consumer = Some(consumer.clone());
        Ok(consumer)
    }

    /// Moves messages into the buffer: waits for the first (up to `wait` when the buffer already
    /// holds some), then takes what arrives until `linger` after it or until `max`.
    async fn pull(
        &mut self,
        after: Position,
        max: usize,
        wait: Option<Duration>,
        linger: Duration,
    ) -> Result<usize, FeedError> {
        let nats = |e: &dyn std::fmt::Display| FeedError::Nats(e.to_string());
        if self.messages.is_none() {
            let prefetch = self.prefetch;
            let stream = self
                .consumer()
                .await?
                .stream()
                .max_messages_per_batch(prefetch)
                .heartbeat(IDLE_HEARTBEAT)
                .expires(PULL_EXPIRES)
                .messages()
                .await
                .map_err(|e| nats(&e))?;
            self.messages = Some(stream);
        }
        let Some(messages) = self.messages.as_mut() else { return Ok(0) };
        let mut received = 0;
        let mut deadline = wait.map(|w| tokio::time::Instant::now() + w);
        loop {
            // `next` is cancel-safe: a timed-out wait leaves the message in the stream.
            let next = match deadline {
                Some(at) => match tokio::time::timeout_at(at, messages.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                },
                None => messages.next().await,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    self.messages = None;
                    return Err(nats(&error));
                }
                None => {
                    self.messages = None;
                    break;
                }
            };
            if received == 0 {
                deadline = Some(tokio::time::Instant::now() + linger);
            }
            let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
            let event: RecordedEvent = serde_json::from_slice(&message.payload)
                .map_err(|e| FeedError::Malformed { sequence, reason: e.to_string() })?;
            received += 1;
            if event.position <= after {
                // Already applied: a duplicate from a relay re-publish or a redelivery.
                message.ack().await.map_err(|e| nats(&e))?;
                continue;
            }
            self.unacked.entry(event.position).or_default().push(message);
            self.buffer.insert(event.position, event);
            if received >= max {
                break;
            }
        }
        Ok(received)
    }

    fn contiguous_run(&mut self, after: Position, max: usize) -> Vec<RecordedEvent> {
        let mut batch = Vec::new();
        let mut next = after + 1;
        while batch.len() < max {
            match self.buffer.remove(&next) {
                Some(event) => batch.push(event),
                None => break,
            }
            next += 1;
        }
        batch
    }
}

#[async_trait]
impl Feed for JetStreamFeed {
    async fn next_batch(&mut self, after: Position, max: usize, linger: Duration) -> Result<Batch, FeedError> {
        self.buffer.retain(|&p, _| p > after);
        let started = tokio::time::Instant::now();
        loop {
            let wait = if self.buffer.is_empty() { None } else { Some(GAP_PATIENCE) };
            self.pull(after, max.saturating_sub(self.buffer.len()).max(1), wait, linger).await?;
            let batch = self.contiguous_run(after, max);
            if !batch.is_empty() {
                return Ok(Batch::contiguous(batch, after));
            }
            if !self.buffer.is_empty() && started.elapsed() >= GAP_PATIENCE {
                // Later positions are here but the next one is not: the store fills the gap.
                let first_buffered = self.buffer.keys().next().copied().unwrap_or(after + 1);
                let gap = usize::try_from(first_buffered - after - 1).unwrap_or(max).clamp(1, max);
                tracing::warn!(after, first_buffered, "gap on NATS; reading it from the event store");
                return Ok(Batch::contiguous(self.store.read_all(after, gap).await?, after));
            }
        }
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), FeedError> {
        let later = self.unacked.split_off(&(position + 1));
        let done = std::mem::replace(&mut self.unacked, later);
        for message in done.into_values().flatten() {
            message.ack().await.map_err(|e| FeedError::Nats(e.to_string()))?;
        }
        Ok(())
    }
}
