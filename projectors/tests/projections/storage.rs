//! How PostgreSQL stores the content projection's large columns (migrations 0002, 0006 and
//! 0010): every one is compressed with lz4, and a long document reads back as the projection
//! rendered it.

use crate::fixture::Fixture;
use crate::world::World;
use projectors::ReadStore;
use serde_json::{json, Value};

pub async fn long_documents_are_stored_lz4_compressed(f: &Fixture) {
    let ReadStore::Postgres(pool) = &f.read else { panic!("a PostgreSQL fixture") };
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let body = "<p>A paragraph of a long article, the kind an editor writes.</p>".repeat(400);
    let article =
        w.create("article", "a-long-read", json!({"title": "A long read", "summary": "Long", "body": body})).await;
    w.publish("article", article, 60).await;
    f.drain().await;

    let (method, document): (Option<String>, String) =
        sqlx::query_as("SELECT pg_column_compression(document), document FROM folio_read.content_items WHERE id = $1")
            .bind(article)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(method.as_deref(), Some("lz4"), "the document's compression");
    // Every large column is declared alike, the card a list entry shows included; which of them
    // a given row compresses depends on its size.
    let declared: Vec<(String, String)> = sqlx::query_as(
        "SELECT attname::text, attcompression::text FROM pg_attribute \
         WHERE attrelid = 'folio_read.content_items'::regclass \
         AND attname IN ('fields', 'embed', 'document', 'card', 'search') ORDER BY attname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let want: Vec<(String, String)> =
        ["card", "document", "embed", "fields", "search"].iter().map(|c| (c.to_string(), "l".to_string())).collect();
    assert_eq!(declared, want, "the compression each large column declares");
    let document: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(document["body"], json!(body), "the document reads back whole");
}
