//! Which copy the switch makes of each table, and that SQLite's transfer keeps rowids.

use super::*;

fn shape(columns: &[&str], rowid: bool, indexed: bool) -> Shape {
    Shape { columns: columns.iter().map(|c| (*c).to_owned()).collect(), rowid, indexed, fts5: None }
}

#[test]
fn matching_tables_without_rowid_or_with_an_index_are_transferred_whole() {
    let refs = shape(&["item_id", "field", "target"], false, true);
    assert_eq!(
        copy_statement("content_refs", Some(&refs), &refs),
        "INSERT OR FAIL INTO main.content_refs SELECT * FROM next.content_refs"
    );
    let items = shape(&["id", "slug"], true, true);
    assert_eq!(
        copy_statement("content_items", Some(&items), &items),
        "INSERT OR FAIL INTO main.content_items SELECT * FROM next.content_items"
    );
}

#[test]
fn unindexed_rowid_tables_and_differing_columns_name_every_column() {
    let bare = shape(&["id", "slug"], true, false);
    assert_eq!(
        copy_statement("log", Some(&bare), &bare),
        "INSERT OR FAIL INTO main.log (rowid, id, slug) SELECT rowid, id, slug FROM next.log"
    );
    let indexed = shape(&["id", "slug"], true, true);
    assert_eq!(
        copy_statement("log", Some(&bare), &indexed),
        "INSERT OR FAIL INTO main.log (rowid, id, slug) SELECT rowid, id, slug FROM next.log"
    );
    let next = shape(&["a", "b"], false, true);
    for live in [None, Some(shape(&["b", "a"], false, true)), Some(shape(&["a", "b"], true, true))] {
        assert_eq!(
            copy_statement("t", live.as_ref(), &next),
            "INSERT OR FAIL INTO main.t (a, b) SELECT a, b FROM next.t"
        );
    }
}

/// SQLite's transfer, run as the switch runs it (an emptied table, `OR FAIL`), keeps the
/// rowids of an indexed rowid table, gaps included, and [`rowids_kept`] says so; when
/// something rules the transfer out, the renumbered copy is caught and made again.
#[tokio::test]
async fn the_transfer_keeps_rowids_and_a_renumbered_copy_is_made_again() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let next_path = dir.path().join("next.sqlite");
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("live.sqlite").display()))
            .await
            .unwrap();
    let schema = "(id BLOB NOT NULL PRIMARY KEY, body TEXT NOT NULL)";
    sqlx::query(&format!("CREATE TABLE t {schema}")).execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO t (rowid, id, body) VALUES (1, x'01', 'old')").execute(&mut conn).await.unwrap();
    sqlx::query("ATTACH DATABASE $1 AS next").bind(next_path.display().to_string()).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE TABLE next.t {schema}")).execute(&mut conn).await.unwrap();
    for rowid in [3_i64, 7, 8, 20] {
        sqlx::query("INSERT INTO next.t (rowid, id, body) VALUES ($1, randomblob(16), 'b')")
            .bind(rowid)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let live = shape(&["id", "body"], true, true);
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap();
    sqlx::query("DELETE FROM main.t").execute(&mut conn).await.unwrap();
    sqlx::query(&copy_statement("t", Some(&live), &live)).execute(&mut conn).await.unwrap();
    assert!(rowids_kept(&mut conn, "t").await.unwrap());
    let rowids: Vec<i64> =
        sqlx::query_scalar("SELECT rowid FROM main.t ORDER BY rowid").fetch_all(&mut conn).await.unwrap();
    assert_eq!(rowids, [3, 7, 8, 20]);
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();

    // A trigger on the live table rules the transfer out: SQLite inserts row by row with
    // new rowids, which the check sees, and the copy goes again naming rowid.
    sqlx::query("CREATE TEMP TRIGGER rules_the_transfer_out AFTER INSERT ON main.t BEGIN SELECT 1; END")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap();
    sqlx::query("DELETE FROM main.t").execute(&mut conn).await.unwrap();
    sqlx::query(&copy_statement("t", Some(&live), &live)).execute(&mut conn).await.unwrap();
    assert!(!rowids_kept(&mut conn, "t").await.unwrap(), "the row-by-row fallback numbered the rows anew");
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap();
    copy_table(&mut conn, "t", Some(&live), &live).await.unwrap();
    let rowids: Vec<i64> =
        sqlx::query_scalar("SELECT rowid FROM main.t ORDER BY rowid").fetch_all(&mut conn).await.unwrap();
    assert_eq!(rowids, [3, 7, 8, 20], "copied again, rowids kept");
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
}
