//! Group commit: appends from many tasks queue here, and one writer task commits them in batches.
//!
//! While a batch is being committed, new appends queue up; the next batch takes them all (up to
//! `max_batch_events`), optionally lingering `max_wait` for more. One fsync then acknowledges many
//! appends. An append whose caller has gone away is still committed: its events are durable and a
//! retry with the same ids gets the original result.

use super::config::GroupCommitConfig;
use super::error::StoreError;
use super::plan::{AppendResult, AtomicGroup, GroupOutcome};
use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// A backend's transactional half of group commit.
#[async_trait]
pub(crate) trait BatchWriter: Send + 'static {
    /// Checks every group of `batch` in order, writes the accepted ones in ONE transaction, and
    /// returns one outcome per group. `Err` means the transaction did not commit: nothing of the
    /// batch is stored.
    async fn commit(&mut self, batch: &[AtomicGroup]) -> Result<Vec<GroupOutcome>, StoreError>;
}

pub(crate) struct Job {
    pub(crate) group: AtomicGroup,
    reply: oneshot::Sender<Result<Vec<AppendResult>, StoreError>>,
}

impl Job {
    pub(crate) fn events(&self) -> usize {
        self.group.iter().map(|r| r.events.len()).sum()
    }
}

/// The queue in front of a backend's single writer task. Cloning shares the queue; the task
/// stops once every handle is dropped and the queue is drained.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommitter {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("appends", &self.group.len()).finish_non_exhaustive()
    }
}

impl GroupCommitter {
    /// Spawns the writer task on the current tokio runtime.
    pub(crate) fn start<W: BatchWriter>(writer: W, config: GroupCommitConfig) -> Self {
        let (queue, jobs) = mpsc::channel(16 * config.max_batch_events.max(1));
        tokio::spawn(run(writer, jobs, config));
        Self { queue }
    }

    /// Spawns a writer task that reads the next batch's snapshot while the current one commits
    /// (see [`super::read_ahead`]).
    pub(crate) fn start_reading_ahead<W, R>(writer: W, reader: R, config: GroupCommitConfig) -> Self
    where
        W: super::read_ahead::SnapshotWriter,
        R: super::read_ahead::SnapshotReader,
    {
        let (queue, jobs) = mpsc::channel(16 * config.max_batch_events.max(1));
        tokio::spawn(super::read_ahead::run(writer, reader, jobs, config));
        Self { queue }
    }

    /// Commits `group` all or nothing, in some batch, and answers one result per append.
    pub(crate) async fn append(&self, group: AtomicGroup) -> Result<Vec<AppendResult>, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.queue.send(Job { group, reply }).await.map_err(|_| StoreError::Closed)?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run<W: BatchWriter>(mut writer: W, mut jobs: mpsc::Receiver<Job>, config: GroupCommitConfig) {
    let mut carried: Option<Job> = None;
    while let Some(batch) = next_batch(&mut carried, &mut jobs, config).await {
        let (groups, replies) = split(batch);
        let outcome = writer.commit(&groups).await;
        replies.settle(outcome);
    }
}

/// The next batch: the carried job or the next queued one, and what `gather` adds to it. `None`
/// once the queue is closed and drained.
pub(crate) async fn next_batch(
    carried: &mut Option<Job>,
    jobs: &mut mpsc::Receiver<Job>,
    config: GroupCommitConfig,
) -> Option<Vec<Job>> {
    let first = match carried.take() {
        Some(job) => job,
        None => jobs.recv().await?,
    };
    let (batch, next) = gather(first, jobs, config).await;
    *carried = next;
    Some(batch)
}

/// The callers of a batch's appends, and how many events each gave.
pub(crate) struct Replies {
    sizes: Vec<usize>,
    senders: Vec<oneshot::Sender<Result<Vec<AppendResult>, StoreError>>>,
}

/// A batch's groups, to commit, apart from the callers that wait for them.
pub(crate) fn split(batch: Vec<Job>) -> (Vec<AtomicGroup>, Replies) {
    let sizes = batch.iter().map(Job::events).collect();
    let (groups, senders) = batch.into_iter().map(|j| (j.group, j.reply)).unzip();
    (groups, Replies { sizes, senders })
}

impl Replies {
    /// Records the batch's outcome in the metrics and answers each caller.
    pub(crate) fn settle(self, outcome: Result<Vec<GroupOutcome>, StoreError>) {
        let Replies { sizes, senders } = self;
        metrics::histogram!("folio_group_commit_events").record(sizes.iter().sum::<usize>() as f64);
        metrics::histogram!("folio_group_commit_appends").record(senders.len() as f64);
        match outcome {
            Ok(outcomes) => {
                let accepted: usize = outcomes.iter().zip(&sizes).filter(|(o, _)| o.is_ok()).map(|(_, n)| n).sum();
                metrics::counter!("folio_appended_events_total").increment(accepted as u64);
                for (reply, outcome) in senders.into_iter().zip(outcomes) {
                    // The caller may have gone away; its append is committed all the same.
                    let _ = reply.send(outcome.map_err(StoreError::from));
                }
            }
            Err(error) => {
                tracing::error!(error = %error, appends = senders.len(), "group commit failed");
                for reply in senders {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Takes queued jobs after `first` until the batch is full, the queue is empty and `max_wait`
/// has passed. A job that would overflow the batch is carried to the next one.
async fn gather(first: Job, jobs: &mut mpsc::Receiver<Job>, config: GroupCommitConfig) -> (Vec<Job>, Option<Job>) {
    let deadline = Instant::now() + config.max_wait;
    let mut events = first.events();
    let mut batch = vec![first];
    while events < config.max_batch_events {
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(_) if config.max_wait.is_zero() => break,
            Err(_) => match tokio::time::timeout_at(deadline, jobs.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) | Err(_) => break,
            },
        };
        let size = job.events();
        if events + size > config.max_batch_events {
            return (batch, Some(job));
        }
        events += size;
        batch.push(job);
    }
    (batch, None)
}

#[cfg(test)]
mod tests {
    //! The batching rules, with a writer that accepts everything and records what it was given.
    //! (The real writers are covered by the contract suite against real databases.)

    use super::*;
    use crate::event_store::plan::AppendRequest;
    use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<usize>>>);

    #[async_trait]
    impl BatchWriter for Recorder {
        async fn commit(&mut self, batch: &[AtomicGroup]) -> Result<Vec<GroupOutcome>, StoreError> {
            self.0.lock().unwrap().push(batch.iter().flatten().map(|r| r.events.len()).sum());
            tokio::time::sleep(Duration::from_millis(5)).await;
            let accept = |r: &AppendRequest| AppendResult { stream: r.stream.clone(), events: vec![] };
            Ok(batch.iter().map(|group| Ok(group.iter().map(accept).collect())).collect())
        }
    }

    fn request(events: usize) -> AtomicGroup {
        let event = || NewEvent {
            event_id: EventId::now_v7(),
            event_type: "T".into(),
            schema_version: 1,
            data: serde_json::json!({}),
            metadata: Metadata::default(),
        };
        vec![AppendRequest {
            stream: StreamId::parse("s-1").unwrap(),
            expected: ExpectedVersion::Any,
            events: (0..events).map(|_| event()).collect(),
        }]
    }

    async fn run_all(committer: &GroupCommitter, sizes: &[usize]) {
        let calls = sizes.iter().map(|&n| committer.append(request(n)));
        for outcome in futures_util::future::join_all(calls).await {
            outcome.unwrap();
        }
    }

    #[tokio::test]
    async fn a_linger_gathers_appends_that_arrive_within_it() {
        let recorder = Recorder::default();
        let config = GroupCommitConfig { max_batch_events: 100, max_wait: Duration::from_millis(200) };
        let committer = GroupCommitter::start(recorder.clone(), config);
        run_all(&committer, &[1; 10]).await;
        assert_eq!(*recorder.0.lock().unwrap(), vec![10]);
    }

    #[tokio::test]
    async fn batches_never_exceed_max_events_and_an_oversized_append_goes_alone() {
        let recorder = Recorder::default();
        let config = GroupCommitConfig { max_batch_events: 4, max_wait: Duration::from_millis(200) };
        let committer = GroupCommitter::start(recorder.clone(), config);
        run_all(&committer, &[2, 2, 3, 9, 1]).await;
        let batches = recorder.0.lock().unwrap().clone();
        assert_eq!(batches.iter().sum::<usize>(), 17);
        assert!(batches.iter().all(|&n| n <= 4 || n == 9), "{batches:?}");
        assert!(batches.contains(&9), "the 9-event append is committed alone: {batches:?}");
    }

    #[tokio::test]
    async fn without_linger_queued_appends_still_share_a_commit() {
        let recorder = Recorder::default();
        let committer = GroupCommitter::start(recorder.clone(), GroupCommitConfig::default());
        run_all(&committer, &[1; 50]).await;
        let batches = recorder.0.lock().unwrap().clone();
        assert_eq!(batches.iter().sum::<usize>(), 50);
        assert!(batches.len() < 50, "appends queued behind a commit are batched: {batches:?}");
    }
}
