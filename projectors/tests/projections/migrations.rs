//! Upgrading an embedded read model in place. `0004_cards` rebuilds `content_items` (so the
//! columns lists read come before the raw fields): every row, its rowid (the key of its
//! `content_search` entry) and its indexes must survive it. `0006_content_embeds` copies each
//! item's embed and status into the table history reads; `0007` makes the history index cover
//! a history page; `0008` keeps full text without a copy of the text. On PostgreSQL, `0011`
//! copies each item's list card into its reference rows.

use infra::testing::TestDatabase;
use projectors::read_store::{ReadStore, POSTGRES_SCHEMA};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use uuid::Uuid;

/// Copies the migrations of `backend` numbered below `before` to `scratch`.
fn migrations_before(backend: &str, before: &str, scratch: &Path) {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::create_dir_all(scratch).unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().as_ref() < before {
            std::fs::copy(entry.path(), scratch.join(entry.file_name())).unwrap();
        }
    }
}

/// Applies the SQLite migrations numbered below `before` to a new database at `path`.
async fn migrated_up_to(path: &Path, before: &str, scratch: &Path) {
    migrations_before("sqlite", before, scratch);
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(path).create_if_missing(true)).await.unwrap();
    Migrator::new(scratch).await.unwrap().run(&pool).await.unwrap();
    for (rowid, id, slug, body) in [(7_i64, [7_u8; 16], "intro", "boats"), (9, [9; 16], "ferries", "ferries at dawn")] {
        sqlx::query(
            "INSERT INTO content_items (rowid, id, type, slug, status, version, position, created_at, updated_at, \
             published_at, fields, embed, document) VALUES ($1, $2, 'page', $3, 'published', 2, $1, 1, 2, 3, '{}', $5, $4)",
        )
        .bind(rowid)
        .bind(id.as_slice())
        .bind(slug)
        .bind(format!(r#"{{"slug":"{slug}"}}"#))
        .bind(format!(r#"{{"title":"{slug}"}}"#))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO content_search (rowid, title, body) VALUES ($1, $2, $3)")
            .bind(rowid)
            .bind(slug)
            .bind(body)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

/// A read store migrated up to (not including) `before`, with two items, then opened (which runs
/// the remaining migrations). The folder lives as long as the returned guard.
async fn upgraded_from(before: &str) -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read.db");
    migrated_up_to(&path, before, &dir.path().join("before")).await;
    let ReadStore::Sqlite(pool) = ReadStore::open_sqlite(&path).await.unwrap() else { unreachable!() };
    (dir, pool)
}

#[tokio::test]
async fn the_cards_migration_keeps_every_row_its_rowid_and_its_search_entry() {
    let (_dir, pool) = upgraded_from("0004").await;
    let rows =
        sqlx::query("SELECT rowid, slug, card, COALESCE(card, document) AS listed FROM content_items ORDER BY rowid")
            .fetch_all(&pool)
            .await
            .unwrap();
    let rows: Vec<(i64, String, Option<String>, String)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        rows,
        [
            (7, "intro".to_owned(), None, r#"{"slug":"intro"}"#.to_owned()),
            (9, "ferries".to_owned(), None, r#"{"slug":"ferries"}"#.to_owned())
        ],
        "rows and rowids kept; no card until an item is rendered again, so lists read the document"
    );
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT i.slug FROM content_search s JOIN content_items i ON i.rowid = s.rowid WHERE content_search MATCH 'dawn'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(found, ["ferries"], "search entries still point at their items");
    let mut indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'content_items' AND sql IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    indexes.sort();
    assert_eq!(indexes, ["content_items_list_idx", "content_items_slug_idx"]);
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('content_items')").fetch_all(&pool).await.unwrap();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    assert!(at("card") < at("document") && at("document") < at("fields"), "{columns:?}");
    pool.close().await;
}

#[tokio::test]
async fn the_embeds_migration_copies_every_items_embed_and_status() {
    let (_dir, pool) = upgraded_from("0006").await;
    let rows: Vec<(Vec<u8>, String, String)> =
        sqlx::query_as("SELECT id, status, embed FROM content_embeds ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(
        rows,
        [
            (vec![7; 16], "published".to_owned(), r#"{"title":"intro"}"#.to_owned()),
            (vec![9; 16], "published".to_owned(), r#"{"title":"ferries"}"#.to_owned())
        ]
    );
    pool.close().await;
}

#[tokio::test]
async fn the_history_index_migration_makes_the_index_cover_a_history_page() {
    let (_dir, pool) = upgraded_from("0007").await;
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_index_info('user_items_history_idx')")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(columns, ["user_id", "last_viewed_at", "item_id", "first_viewed_at", "views", "liked", "bookmarked"]);
    pool.close().await;
}

#[tokio::test]
async fn the_contentless_search_migration_keeps_every_entry_without_its_text() {
    let (_dir, pool) = upgraded_from("0008").await;
    let search = |words: &'static str| {
        let pool = pool.clone();
        async move {
            let found: Vec<(i64, Option<String>)> = sqlx::query_as(
                "SELECT rowid, body FROM content_search WHERE content_search MATCH $1 ORDER BY bm25(content_search)",
            )
            .bind(words)
            .fetch_all(&pool)
            .await
            .unwrap();
            found
        }
    };
    assert_eq!(search("ferries").await, [(9, None)], "found by rowid, ranked; the text is not kept");
    assert_eq!(search("boats OR dawn").await.len(), 2);
    let shadows: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE name LIKE 'content\\_search\\_%' ESCAPE '\\' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        shadows,
        ["content_search_config", "content_search_data", "content_search_docsize", "content_search_idx"]
    );
    sqlx::query("DELETE FROM content_search WHERE rowid = 9").execute(&pool).await.unwrap();
    assert_eq!(search("ferries").await, [], "a row is still deleted by rowid");
    pool.close().await;
}

/// A reference row written before `0011` (PostgreSQL) gets its item's list card: the card, or the
/// document of an item without one.
#[tokio::test]
async fn the_refs_cards_migration_copies_each_items_list_card_into_its_reference_rows() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    migrations_before("postgres", "0011", dir.path());
    let options = PgConnectOptions::from_str(&database.url).unwrap();
    let admin = PgPool::connect_with(options.clone()).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {POSTGRES_SCHEMA}")).execute(&admin).await.unwrap();
    admin.close().await;
    let pool = PgPool::connect_with(options.options([("search_path", POSTGRES_SCHEMA)])).await.unwrap();
    Migrator::new(dir.path()).await.unwrap().run(&pool).await.unwrap();
    let (carded, plain, tag) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    for (id, card) in [(carded, Some(r#"{"t":"card"}"#)), (plain, None)] {
        sqlx::query(
            "INSERT INTO content_items (id, type, slug, status, version, position, created_at, updated_at, \
             published_at, fields, embed, document, card, search) \
             VALUES ($1, 'page', $1::text, 'published', 1, 1, now(), now(), now(), '{}', '{}', $2, $3, '')",
        )
        .bind(id)
        .bind(format!(r#"{{"document":"{id}"}}"#))
        .bind(card)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO content_refs (item_id, field, target, depth, ord, type, status, published_at) \
             VALUES ($1, 'topic', $2, 0, 0, 'page', 'published', now())",
        )
        .bind(id)
        .bind(tag)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let ReadStore::Postgres(pool) = ReadStore::connect_postgres(&database.url, 2).await.unwrap() else {
        unreachable!()
    };
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT item_id, card FROM content_refs ORDER BY item_id").fetch_all(&pool).await.unwrap();
    assert_eq!(
        rows,
        [(carded, r#"{"t":"card"}"#.to_owned()), (plain, format!(r#"{{"document":"{plain}"}}"#))],
        "the card where there is one, else the document"
    );
    let nullable: String = sqlx::query_scalar(
        "SELECT is_nullable::text FROM information_schema.columns WHERE table_name = 'content_refs' AND column_name = 'card'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(nullable, "NO", "every row has its card from now on");
    pool.close().await;
    database.drop_now().await;
}
