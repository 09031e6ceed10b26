//! How the PostgreSQL event log stores what it is given (migrations 0003 and 0004): large
//! payloads compressed with lz4 where the server has it, stream ids in byte order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use events::{EventId, ExpectedVersion, Metadata, NewEvent, StreamId};
use infra::event_store::postgres::PostgresEventStore;
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use sqlx::{Connection, PgConnection};

/// An article-like payload: ~60 kB of repetitive text, well over the ~2 kB TOAST threshold and
/// compressible.
fn long_article(n: usize) -> NewEvent {
    let body = format!("Paragraph {n} of a long article, the kind an editor writes. ").repeat(1_000);
    NewEvent {
        event_id: EventId::now_v7(),
        event_type: "ContentCreated".into(),
        schema_version: 1,
        data: serde_json::json!({ "title": format!("Article {n}"), "body": body }),
        metadata: Metadata::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_payloads_are_stored_lz4_compressed_and_read_back_exactly() {
    let database = TestDatabase::create().await;
    let store = PostgresEventStore::connect(&database.url, StoreConfig::default()).await.unwrap();
    let written = long_article(1);
    let stream = StreamId::parse("content-compressed").unwrap();
    store.append(stream.clone(), ExpectedVersion::NoStream, vec![written.clone()]).await.unwrap();

    let mut admin = PgConnection::connect(&database.url).await.unwrap();
    let server_has_lz4: bool =
        sqlx::query_scalar("SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    // Debian's PostgreSQL is built with lz4; a server without it keeps the default, and this
    // test says which one it ran against rather than passing silently.
    let expected = if server_has_lz4 { "lz4" } else { "pglz" };
    let (method, stored, raw): (Option<String>, i32, i32) = sqlx::query_as(
        "SELECT pg_column_compression(data), pg_column_size(data), octet_length(data::text) \
         FROM folio_events WHERE stream_id = 'content-compressed'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(method.as_deref(), Some(expected), "the payload's compression (server has lz4: {server_has_lz4})");
    assert!(stored * 10 < raw, "the payload is stored compressed: {stored} bytes of {raw}");

    let read = store.read_stream(&stream, 1, 10).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].data, written.data, "the payload reads back exactly");
    assert_eq!(read[0].event_id, written.event_id);

    let collation: Option<String> = sqlx::query_scalar(
        "SELECT c.collname::text FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation \
         WHERE a.attrelid = 'folio_events'::regclass AND a.attname = 'stream_id'",
    )
    .fetch_optional(&mut admin)
    .await
    .unwrap();
    assert_eq!(collation.as_deref(), Some("C"), "stream ids compare in byte order");

    drop(store);
    let _ = admin.close().await;
    database.drop_now().await;
}
