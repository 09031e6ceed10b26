//! Group commit that reads ahead: while one batch commits, the appends queued behind it are
//! gathered into the next batch and the state they need (the head, their streams' versions, any
//! stored events with their ids) is read on a second connection. When the commit ends, those
//! reads are brought up to the state right after it ([`StoreSnapshot::caught_up_with`]) and the
//! next batch is planned on them at once, so a batch costs the store one statement and one
//! fsync instead of three statements and one fsync, and the reads' round trips overlap the
//! commit's. (On PostgreSQL under 100 concurrent view writes, the writer spent 45% of each cycle
//! reading and the CPUs were idle meanwhile; see perf/RESULTS.md, "Reading ahead".)
//!
//! Every snapshot is read by the reader, the batch that starts an idle writer's too, so the
//! writer's connection runs only the insert (and the rare locked path).
//!
//! A batch gathered while another commits takes what queued meanwhile and does not linger
//! (`max_wait` applies to a batch that starts an idle writer).
//!
//! Correctness does not rest on the reads being fresh: the writer moves the head only if it is
//! still the one its snapshot had (a compare-and-swap), and plans again on a fresh read under
//! the head's lock if it is not. A read ahead that saw any state but the one just before or just
//! after the previous commit is dropped, and the batch reads for itself, as does a batch whose
//! previous commit failed.

use super::config::GroupCommitConfig;
use super::error::StoreError;
use super::group_commit::{next_batch, split, Job};
use super::plan::{lookups, AtomicGroup, Committed, GroupOutcome, StoreSnapshot};
use async_trait::async_trait;
use events::{EventId, StreamId};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

/// Reads the state a batch is planned on.
#[async_trait]
pub(crate) trait SnapshotReader: Send + 'static {
    /// Reads, in ONE consistent state and without locks, the head, the versions of `streams`
    /// and the stored events among `ids`.
    async fn read(&mut self, streams: &[StreamId], ids: &[EventId]) -> Result<StoreSnapshot, StoreError>;
}

/// The transactional half of a group commit that reads ahead.
#[async_trait]
pub(crate) trait SnapshotWriter: Send + 'static {
    /// Plans `batch` on `snapshot`, and writes the accepted groups in ONE transaction only if
    /// the head is still the snapshot's; if the head moved (or given no snapshot, when the
    /// reader failed), it plans on a fresh read under the head's lock. Returns one outcome per group
    /// and what was committed. `Err` means nothing of the batch is stored.
    async fn commit(
        &mut self,
        batch: &[AtomicGroup],
        snapshot: Option<StoreSnapshot>,
    ) -> Result<(Vec<GroupOutcome>, Committed), StoreError>;
}

/// What a commit task hands back: the writer, and what it committed (`None` if it failed).
type Done<W> = (W, Option<Committed>);

/// The appends gathered while a batch committed, and the snapshots read for them.
#[derive(Default)]
struct Ahead {
    jobs: Vec<Job>,
    events: usize,
    reads: Vec<StoreSnapshot>,
    /// `jobs[..read_upto]` are covered by `reads`.
    read_upto: usize,
    /// False once a read failed: then the batch reads for itself.
    every_job_read: bool,
}

impl Ahead {
    /// Whether enough jobs wait unread to read now: at least as many as all earlier reads of
    /// this batch covered. Jobs trickle in one by one while a slow commit (a long fsync) runs;
    /// reading each alone would spend the server's CPU on many tiny reads, so reads double in
    /// size instead and a batch takes O(log n) of them.
    fn worth_reading(&self) -> bool {
        self.jobs.len() - self.read_upto >= self.read_upto.max(1)
    }

    /// Reads the snapshot of the jobs no read covers yet.
    async fn read_rest<R: SnapshotReader>(&mut self, reader: &mut R) {
        if !self.every_job_read || self.jobs.len() == self.read_upto {
            return;
        }
        match read(reader, &self.jobs[self.read_upto..]).await {
            Some(snapshot) => self.reads.push(snapshot),
            None => self.every_job_read = false,
        }
        self.read_upto = self.jobs.len();
    }

    /// One snapshot for the whole batch, as of right after `committed`, if every read can be
    /// brought there.
    fn snapshot_after(self, committed: &Committed) -> Option<StoreSnapshot> {
        if !self.every_job_read {
            return None;
        }
        let mut reads = self.reads.into_iter();
        let mut snapshot = reads.next()?.caught_up_with(committed)?;
        for read in reads {
            snapshot.merge(read.caught_up_with(committed)?);
        }
        Some(snapshot)
    }
}

pub(crate) async fn run<W, R>(writer: W, mut reader: R, mut jobs: mpsc::Receiver<Job>, config: GroupCommitConfig)
where
    W: SnapshotWriter,
    R: SnapshotReader,
{
    let mut writer = Some(writer);
    let mut carried: Option<Job> = None;
    let mut closed = false;
    let mut next: Option<(Vec<Job>, Option<StoreSnapshot>)> = None;
    loop {
        let (batch, snapshot) = match next.take() {
            Some(ready) => ready,
            None => match next_batch(&mut carried, &mut jobs, config).await {
                Some(batch) => (batch, None),
                None => return,
            },
        };
        let snapshot = match snapshot {
            Some(snapshot) => Some(snapshot),
            None => read(&mut reader, &batch).await,
        };
        let Some(mut committer) = writer.take() else { return };
        let (groups, replies) = split(batch);
        let commit = tokio::spawn(async move {
            let (outcome, committed) = match committer.commit(&groups, snapshot).await {
                Ok((outcomes, committed)) => (Ok(outcomes), Some(committed)),
                Err(error) => (Err(error), None),
            };
            replies.settle(outcome);
            (committer, committed)
        });
        let mut ahead = Ahead { every_job_read: true, ..Ahead::default() };
        let done = read_ahead(commit, &mut ahead, &mut reader, &mut jobs, &mut carried, &mut closed, config).await;
        let (committer, committed) = match done {
            Ok(done) => done,
            Err(error) => {
                // Its callers got no answer and see the store closed, as they would without
                // reading ahead; the queue closes with this task.
                tracing::error!(error = %error, "the group commit task failed");
                return;
            }
        };
        writer = Some(committer);
        if !ahead.jobs.is_empty() {
            if committed.is_some() {
                // The jobs that came after the last read ahead.
                ahead.read_rest(&mut reader).await;
            }
            let batch = std::mem::take(&mut ahead.jobs);
            let snapshot = committed.and_then(|committed| ahead.snapshot_after(&committed));
            next = Some((batch, snapshot));
        }
    }
}

/// Until `commit` ends: takes the appends that queue meanwhile into `ahead` (up to the batch
/// limit; one that would overflow it is carried) and reads their snapshot whenever that is
/// [worth it](Ahead::worth_reading). Returns the commit's end.
async fn read_ahead<W: SnapshotWriter, R: SnapshotReader>(
    mut commit: JoinHandle<Done<W>>,
    ahead: &mut Ahead,
    reader: &mut R,
    jobs: &mut mpsc::Receiver<Job>,
    carried: &mut Option<Job>,
    closed: &mut bool,
    config: GroupCommitConfig,
) -> Result<Done<W>, JoinError> {
    loop {
        if *closed || carried.is_some() && !ahead.jobs.is_empty() || ahead.events >= config.max_batch_events {
            return commit.await;
        }
        let first = match carried.take() {
            Some(job) => job,
            None => tokio::select! {
                biased;
                done = &mut commit => return done,
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => {
                        *closed = true;
                        continue;
                    }
                },
            },
        };
        take(ahead, first, carried, config);
        while carried.is_none() && ahead.events < config.max_batch_events {
            match jobs.try_recv() {
                Ok(job) => take(ahead, job, carried, config),
                Err(_) => break,
            }
        }
        if ahead.worth_reading() {
            ahead.read_rest(reader).await;
        }
    }
}

/// The snapshot `jobs` need, or `None` if the read failed (then the writer reads under the lock).
async fn read<R: SnapshotReader>(reader: &mut R, jobs: &[Job]) -> Option<StoreSnapshot> {
    let (streams, ids) = lookups(jobs.iter().map(|job| &job.group));
    match reader.read(&streams, &ids).await {
        Ok(snapshot) => Some(snapshot),
        Err(error) => {
            tracing::debug!(error = %error, "reading a batch's snapshot failed; the writer reads it under the lock");
            None
        }
    }
}

/// Adds `job` to `ahead`, or carries it if it would overflow a non-empty batch.
fn take(ahead: &mut Ahead, job: Job, carried: &mut Option<Job>, config: GroupCommitConfig) {
    let size = job.events();
    if !ahead.jobs.is_empty() && ahead.events + size > config.max_batch_events {
        *carried = Some(job);
        return;
    }
    ahead.events += size;
    ahead.jobs.push(job);
}
