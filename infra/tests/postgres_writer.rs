//! The PostgreSQL writer's two connections (see `event_store/read_ahead.rs`): the reader that
//! reads each batch's snapshot, and the writer. A reader that loses its connection costs a
//! batch a read under the head's lock, never an append.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
use infra::event_store::postgres::{PostgresEventStore, READER_NAME, WRITER_NAME};
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::Duration;

const APPENDERS: usize = 32;
const APPENDS: usize = 150;

fn event(appender: usize, n: usize) -> NewEvent {
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: "Probe".into(),
        schema_version: 1,
        data: serde_json::json!({ "appender": appender, "n": n }),
        metadata: Metadata::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_go_on_when_the_reader_loses_its_connection() {
    let database = TestDatabase::create().await;
    let store: Arc<dyn EventStore> =
        Arc::new(PostgresEventStore::connect(&database.url, StoreConfig::default()).await.unwrap());
    let appenders: Vec<_> = (0..APPENDERS)
        .map(|a| {
            let store = store.clone();
            tokio::spawn(async move {
                let stream = StreamId::parse(format!("probe-{}", a % 8)).unwrap();
                for n in 0..APPENDS {
                    store.append(stream.clone(), ExpectedVersion::Any, vec![event(a, n)]).await.unwrap();
                }
            })
        })
        .collect();

    let mut admin = PgConnection::connect(&database.url).await.unwrap();
    let mut cut = 0;
    while !appenders.iter().all(|a| a.is_finished()) {
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(READER_NAME)
        .fetch_all(&mut admin)
        .await
        .unwrap();
        cut += ended.into_iter().filter(|&ended| ended).count();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for appender in appenders {
        appender.await.expect("every append is acknowledged although the reader's connection was cut");
    }
    assert!(cut >= 1, "the reader's connection was cut while appends ran");

    // The reader's and the writer's statements use the indexes even on this small table, whose
    // plans could otherwise be cached as sequential scans and kept as it grows. A backend reports
    // its statistics when it exits, so the store is closed and its reader and writer waited out.
    // (`seq_tup_read`, not `seq_scan`: PostgreSQL 15 counts bitmap heap scans in `seq_scan` too.)
    drop(store);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ANY($1)",
        )
        .bind([READER_NAME, WRITER_NAME])
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the store's reader and writer did not close");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut admin).await.unwrap();
    let scans: i64 = sqlx::query_scalar("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'folio_events'")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(scans, 0, "appends read the event log sequentially");

    let store = PostgresEventStore::connect(&database.url, StoreConfig::default()).await.unwrap();
    let log = store.read_all(0, 100_000).await.unwrap();
    assert_eq!(log.len(), APPENDERS * APPENDS);
    for (i, event) in log.iter().enumerate() {
        assert_eq!(event.position, i as u64 + 1, "positions are gap-free");
    }
    let mut versions = std::collections::HashMap::new();
    for event in &log {
        let version = versions.entry(event.stream_id.clone()).or_insert(0);
        assert_eq!(event.stream_version, *version + 1, "stream versions are contiguous");
        *version = event.stream_version;
    }
    drop(store);
    let _ = admin.close().await;
    database.drop_now().await;
}
