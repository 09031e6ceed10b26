//! Gathered reads on a real PostgreSQL (`query_api::gather`, `query_api::sql::batch`): reads
//! that wait for a running statement go together in the next one, the read that started a
//! statement may give up without the others going unanswered, and every value a gathered
//! statement carries (text with quotes, backslashes and braces; arrays; times of any era)
//! reaches PostgreSQL unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use infra::testing::TestDatabase;
use proptest::prelude::*;
use query_api::sql::batch::array_literal;
use query_api::sql::{Arg, Dialect, Sql};
use query_api::ReadDb;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// A read that takes `seconds` and answers its value and its statement's start time (the same
/// for every read one statement answered).
fn slow(value: i64, seconds: f64) -> Sql {
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("SELECT ")
        .bind(Arg::I64(value))
        .push("::int8 AS v, statement_timestamp()::text AS at FROM (SELECT pg_sleep(");
    sql.bind(Arg::F64(seconds)).push("::float8)) AS s");
    sql.plan_once();
    sql
}

/// One connection per thread for reads planned once (a pool of 2 is split in two sets).
async fn one_connection(database: &TestDatabase) -> ReadDb {
    let pool = PgPoolOptions::new().max_connections(2).connect(&database.url).await.unwrap();
    ReadDb::postgres(pool)
}

async fn answer(read: &ReadDb, sql: Sql) -> Result<(i64, String), String> {
    let rows = read.fetch(&sql).await.map_err(|e| e.to_string())?;
    let row = rows.first().ok_or("no row")?;
    Ok((row.count(0).map_err(|e| e.to_string())?, row.text(1).map_err(|e| e.to_string())?))
}

/// `sql` read in a task of its own (on this test's thread, so in this thread's queue).
fn start(read: &ReadDb, sql: Sql) -> tokio::task::JoinHandle<Result<(i64, String), String>> {
    let read = read.clone();
    tokio::spawn(async move { answer(&read, sql).await })
}

#[tokio::test]
async fn reads_that_wait_for_a_running_statement_go_together_in_the_next() {
    let database = TestDatabase::create().await;
    let read = one_connection(&database).await;
    let first = start(&read, slow(1, 0.4));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting: Vec<_> = (2..=4).map(|v| start(&read, slow(v, 0.1))).collect();
    let (one, at) = first.await.unwrap().unwrap();
    assert_eq!(one, 1);
    let mut starts = Vec::new();
    for (handle, value) in waiting.into_iter().zip(2..) {
        let (v, started) = handle.await.unwrap().unwrap();
        assert_eq!(v, value, "each read gets its own row");
        starts.push(started);
    }
    assert!(starts.iter().all(|s| *s == starts[0]), "the three waiting reads ran as one statement: {starts:?}");
    assert_ne!(starts[0], at, "and not in the statement that was running when they arrived");
    read.close();
    database.drop_now().await;
}

#[tokio::test]
async fn a_read_that_gives_up_leaves_the_reads_it_took_along_answered() {
    let database = TestDatabase::create().await;
    let read = one_connection(&database).await;
    let first = start(&read, slow(1, 0.3));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Queued in this order: the first of them runs the next statement, for both.
    let runner = start(&read, slow(2, 0.6));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let other = start(&read, slow(3, 0.6));
    assert_eq!(first.await.unwrap().unwrap().0, 1);
    // The gathered statement (both reads, 0.6 s) is running: its runner gives up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    runner.abort();
    assert!(runner.await.unwrap_err().is_cancelled());
    let mut clock = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url).await.unwrap();
    let aborted: String = sqlx::query_scalar("SELECT clock_timestamp()::text").fetch_one(&mut clock).await.unwrap();
    let (value, started) = tokio::time::timeout(Duration::from_secs(10), other).await.unwrap().unwrap().unwrap();
    assert_eq!(value, 3);
    let before: bool = sqlx::query_scalar("SELECT $1::timestamptz < $2::timestamptz")
        .bind(&started)
        .bind(&aborted)
        .fetch_one(&mut clock)
        .await
        .unwrap();
    assert!(
        before,
        "answered by the statement that was running when its runner gave up ({started} < {aborted}), not read again"
    );
    // Reads go on.
    assert_eq!(answer(&read, slow(4, 0.0)).await.unwrap().0, 4);
    read.close();
    database.drop_now().await;
}

#[tokio::test]
async fn a_failing_gathered_statement_fails_every_read_it_answered() {
    let database = TestDatabase::create().await;
    let read = one_connection(&database).await;
    let failing = |v: i64| {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT 1 / (").bind(Arg::I64(v)).push("::int8 - 5)::int8, 'x' FROM (SELECT pg_sleep(0.2)) AS s");
        sql.plan_once();
        sql
    };
    let first = start(&read, slow(1, 0.3));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // 5 divides by zero; 6 alone would not, but it shares 5's statement.
    let handles: Vec<_> = [5, 6].into_iter().map(|v| start(&read, failing(v))).collect();
    assert!(first.await.unwrap().is_ok());
    for handle in handles {
        let error = handle.await.unwrap().unwrap_err();
        assert!(error.contains("database"), "{error}");
    }
    // A database error leaves the connection usable.
    assert_eq!(answer(&read, slow(7, 0.0)).await.unwrap().0, 7);
    read.close();
    database.drop_now().await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A gathered statement passes a varying array argument as the text of a PostgreSQL array:
    /// whatever the values, PostgreSQL reads back exactly the values.
    #[test]
    fn array_literals_reach_postgresql_unchanged(
        texts in proptest::collection::vec("[^\u{0}]{0,12}", 0..6),
        floats in proptest::collection::vec(-1e300f64..1e300, 0..4),
        // 4700 BC to about 250,000 AD: inside both chrono's and PostgreSQL's ranges.
        times in proptest::collection::vec(-210_000_000_000_000_000i64..7_900_000_000_000_000_000, 0..4),
    ) {
        runtime().block_on(async {
            let url = infra::testing::pg_admin_url();
            let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
            let back: Vec<String> = sqlx::query_scalar("SELECT $1::text::text[]")
                .bind(array_literal(&Arg::TextArray(texts.clone())))
                .fetch_one(&mut connection).await.unwrap();
            assert_eq!(back, texts);
            let back: Vec<f64> = sqlx::query_scalar("SELECT $1::text::float8[]")
                .bind(array_literal(&Arg::F64Array(floats.clone())))
                .fetch_one(&mut connection).await.unwrap();
            assert_eq!(back, floats);
            let back: Vec<i64> = sqlx::query_scalar(
                "SELECT array_agg((extract(epoch FROM t) * 1000000)::int8 ORDER BY n) FROM unnest($1::text::timestamptz[]) WITH ORDINALITY AS u(t, n)",
            )
            .bind(array_literal(&Arg::TimeArray(times.clone())))
            .fetch_one(&mut connection).await.map(|v: Option<Vec<i64>>| v.unwrap_or_default()).unwrap();
            assert_eq!(back, times);
        });
    }
}
