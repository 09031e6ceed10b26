//! Reads of one statement that arrive while the statement is already running, run together
//! as one statement (PostgreSQL; [`crate::sql::batch`] writes it). Under load most of a read's
//! cost on the server is the round trip, not the index lookup (a detail read executes in ~30 µs
//! of the ~75 µs of CPU PostgreSQL spends on it); gathered, one statement answers many reads.
//!
//! Rules:
//! - Per thread (actix's workers) and per statement text, at most one statement is running.
//!   A read that arrives meanwhile waits, and when it ends the oldest waiting read runs the next
//!   statement for up to [`MOST_MEMBERS`] of the waiting reads, oldest first. An idle server
//!   answers each read alone, as before; a busy one answers many per round trip, and keeps at
//!   most one connection per thread busy with one statement, however many reads wait (more
//!   backends than cores only queue for the CPU: the tail latency grew).
//! - A read joins only a statement that has not started: every answer comes from a snapshot
//!   taken after its read arrived. A write acknowledged (and notified) before a read arrives is
//!   never missing from its answer, as if the read had run alone.
//! - A read that gives up (its request went away) is left out of the statement. The statement
//!   runs in a task of its own, holding the turn: the read that started it may give up, the
//!   others it took along are answered all the same.
//! - Waiting for the turn is bounded by the pool's acquire timeout, as waiting for a connection
//!   is (then the read fails as a pool timeout: 503).
//! - Statements of different texts run side by side, on connections of the same pool.

use crate::db::{read_postgres, record_wait};
use crate::error::QueryError;
use crate::read_pool::ThreadPools;
use crate::sql::{batch, Arg, Sql};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Instant;
use tokio::sync::oneshot;

/// Most reads one statement answers (each up to a page of 101 rows).
pub const MOST_MEMBERS: usize = 32;

/// A member's rows (shared with members that asked the same), or the statement's error.
pub type Answer = Result<Rows, Arc<sqlx::Error>>;

/// Rows of one read; each row's own columns start at `skip` (a gathered statement's rows first
/// say which read they answer).
#[derive(Debug, Clone)]
pub struct Rows {
    pub rows: Vec<Arc<PgRow>>,
    pub skip: usize,
}

/// A read waiting to be run with others.
#[derive(Debug)]
pub struct Member {
    pub args: Vec<Arg>,
    pub reply: oneshot::Sender<Answer>,
    /// When it was queued (its wait is timed from here).
    pub arrived: Instant,
}

/// One statement's waiting reads on one thread, and the turn to run it (held while it runs).
#[derive(Debug, Default)]
struct Statement {
    waiting: VecDeque<Member>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// The reads waiting, by thread and statement. An entry stays once made: there are as many as
/// statement texts planned once times threads. The texts do not hold values (types, slugs, ids,
/// users are parameters); they vary with the page size, the sort, a cursor, the visible statuses
/// and the relation filtered on: a bounded set, a few hundred at most.
#[derive(Debug, Default)]
pub struct Waiting {
    statements: Mutex<HashMap<ThreadId, HashMap<String, Statement>>>,
}

/// Where a read waits: the thread it was queued on.
#[derive(Debug)]
pub struct Ticket {
    thread: ThreadId,
}

impl Waiting {
    /// Queues a read of `key` with `args`: its answer comes on the returned receiver, and the
    /// mutex is the statement's turn to run.
    pub fn enqueue(
        &self,
        key: &str,
        args: Vec<Arg>,
    ) -> (Ticket, oneshot::Receiver<Answer>, Arc<tokio::sync::Mutex<()>>) {
        let (reply, answer) = oneshot::channel();
        let thread = std::thread::current().id();
        let mut statements = self.statements.lock().unwrap_or_else(PoisonError::into_inner);
        let of_thread = statements.entry(thread).or_default();
        let statement = match of_thread.get_mut(key) {
            Some(statement) => statement,
            None => of_thread.entry(key.to_owned()).or_default(),
        };
        statement.waiting.push_back(Member { args, reply, arrived: Instant::now() });
        (Ticket { thread }, answer, statement.turn.clone())
    }

    /// Takes up to `most` waiting reads of `key` queued on `ticket`'s thread, oldest first,
    /// leaving out those whose reader went away.
    pub fn take(&self, ticket: &Ticket, key: &str, most: usize) -> Vec<Member> {
        let mut statements = self.statements.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(statement) = statements.get_mut(&ticket.thread).and_then(|s| s.get_mut(key)) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        while taken.len() < most {
            let Some(member) = statement.waiting.pop_front() else { break };
            if !member.reply.is_closed() {
                taken.push(member);
            }
        }
        taken
    }
}

/// Runs `sql` (a statement planned once), gathered with the reads of the same statement that
/// wait on this thread (see the module's rules).
pub async fn fetch(pools: &ThreadPools<PgConnection>, waiting: &Waiting, sql: &Sql) -> Result<Rows, QueryError> {
    let key = key_of(sql);
    let deadline = tokio::time::Instant::now() + pools.acquire_timeout();
    loop {
        let (ticket, mut answer, turn) = waiting.enqueue(&key, sql.args.clone());
        let turn = tokio::select! {
            biased;
            answered = &mut answer => match answered {
                Ok(answer) => return answer.map_err(QueryError::Database),
                // The statement that took it was dropped unanswered (its runtime shut down).
                Err(_) => continue,
            },
            turn = tokio::time::timeout_at(deadline, turn.lock_owned()) => match turn {
                Ok(turn) => turn,
                Err(_) => return Err(QueryError::Database(Arc::new(sqlx::Error::PoolTimedOut))),
            },
        };
        // Its turn. The reads this thread has already been handed (requests read, tasks woken)
        // go first, so that those of this statement queue up and go along.
        tokio::task::yield_now().await;
        // Whatever waits now (this read, unless an earlier turn took it along).
        let members = waiting.take(&ticket, &key, MOST_MEMBERS);
        if members.is_empty() {
            drop(turn);
        } else {
            tokio::spawn(run(pools.clone(), turn, sql.clone(), members));
        }
        match answer.await {
            Ok(answer) => return answer.map_err(QueryError::Database),
            Err(_) => continue,
        }
    }
}

fn answer_all(members: Vec<Member>, answer: &Answer) {
    for member in members {
        let _ = member.reply.send(answer.clone());
    }
}

/// The statement text and its arguments' kinds: reads gathered together bind the same kinds
/// at the same places.
fn key_of(sql: &Sql) -> String {
    let mut key = String::with_capacity(sql.text.len() + 1 + sql.args.len());
    key.push_str(&sql.text);
    key.push('\0');
    key.extend(sql.args.iter().map(|arg| match arg {
        Arg::Text(_) => 't',
        Arg::Uuid(_) => 'u',
        Arg::F64(_) => 'f',
        Arg::I64(_) => 'i',
        Arg::Time(_) => 'd',
        Arg::UuidArray(_) => 'U',
        Arg::TextArray(_) => 'T',
        Arg::F64Array(_) => 'F',
        Arg::I64Array(_) => 'I',
        Arg::TimeArray(_) => 'D',
    }));
    key
}

/// Runs `template` for every member ([`read_postgres`]: a dead reused connection is read again
/// on another), answers each member, then gives up the turn.
async fn run(
    pools: ThreadPools<PgConnection>,
    turn: tokio::sync::OwnedMutexGuard<()>,
    template: Sql,
    members: Vec<Member>,
) {
    let lease = match pools.acquire().await {
        Ok(lease) => lease,
        Err(error) => return answer_all(members, &Err(Arc::new(error))),
    };
    for member in &members {
        record_wait(POOL, member.arrived.elapsed());
    }
    let args: Vec<&[Arg]> = members.iter().map(|m| m.args.as_slice()).collect();
    let (representatives, of_member) = batch::distinct(&args);
    let statement = match representatives.as_slice() {
        [only] => Sql { args: args[*only].to_vec(), ..template },
        _ => batch::batched(&template, &representatives.iter().map(|&i| args[i]).collect::<Vec<_>>()),
    };
    let skip = usize::from(representatives.len() > 1);
    metrics::histogram!("folio_read_gathered_reads").record(members.len() as f64);
    let rows = read_postgres(&pools, Some(lease), POOL, &statement)
        .await
        .and_then(|rows| route(rows, skip, representatives.len()));
    match rows {
        Ok(groups) => {
            for (member, group) in members.into_iter().zip(of_member) {
                let _ = member.reply.send(Ok(Rows { rows: groups[group].clone(), skip }));
            }
        }
        Err(error) => answer_all(members, &Err(Arc::new(error))),
    }
    drop(turn);
}

/// The pool label of gathered reads' metrics.
const POOL: &str = "postgres_generic";

/// Each member's rows, by the member column when `skip` is 1.
fn route(rows: Vec<PgRow>, skip: usize, groups: usize) -> Result<Vec<Vec<Arc<PgRow>>>, sqlx::Error> {
    let mut routed = vec![Vec::new(); groups];
    for row in rows {
        let group = if skip == 0 { 0 } else { usize::try_from(row.try_get::<i64, _>(0)? - 1).unwrap_or(usize::MAX) };
        let Some(rows) = routed.get_mut(group) else {
            return Err(sqlx::Error::Protocol(format!("a gathered statement answered for member {}", group + 1)));
        };
        rows.push(Arc::new(row));
    }
    Ok(routed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_taken_oldest_first_by_statement_and_without_those_gone() {
        let waiting = Waiting::default();
        let (first, _a, turn) = waiting.enqueue("s", vec![Arg::I64(1)]);
        let (_, gone, same_turn) = waiting.enqueue("s", vec![Arg::I64(2)]);
        let (_, _c, other_turn) = waiting.enqueue("t", vec![Arg::I64(3)]);
        let (_, _d, _) = waiting.enqueue("s", vec![Arg::I64(4)]);
        drop(gone);
        assert!(Arc::ptr_eq(&turn, &same_turn) && !Arc::ptr_eq(&turn, &other_turn));
        let taken = waiting.take(&first, "s", 5);
        assert_eq!(
            taken.iter().map(|m| m.args.clone()).collect::<Vec<_>>(),
            vec![vec![Arg::I64(1)], vec![Arg::I64(4)]]
        );
        assert!(waiting.take(&first, "s", 5).is_empty());
        assert_eq!(waiting.take(&first, "t", 5).len(), 1);
    }

    #[test]
    fn at_most_the_asked_number_is_taken() {
        let waiting = Waiting::default();
        let queued: Vec<_> = (0..5).map(|i| waiting.enqueue("s", vec![Arg::I64(i)])).collect();
        assert_eq!(waiting.take(&queued[0].0, "s", 3).len(), 3);
        assert_eq!(waiting.take(&queued[0].0, "s", 3).len(), 2);
    }

    #[test]
    fn each_thread_has_its_own_turn() {
        let waiting = Arc::new(Waiting::default());
        let (_, _a, here) = waiting.enqueue("s", vec![]);
        let other = waiting.clone();
        let (there, _b) = std::thread::spawn(move || {
            let (_, answer, turn) = other.enqueue("s", vec![]);
            (turn, answer)
        })
        .join()
        .unwrap();
        assert!(!Arc::ptr_eq(&here, &there));
    }
}
