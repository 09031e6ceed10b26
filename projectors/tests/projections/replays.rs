//! Replay of a range (`folio replay`): the rows the range is about are recomputed from their
//! whole history — damage repaired, nothing counted twice, rows the range is not about left as
//! they are — and a second replay changes nothing.

use crate::dump::{self, dump};
use crate::fixture::Fixture;
use crate::world::World;
use events::payloads::Role;
use projectors::replay::replay;
use projectors::{all_projections, ReadStore};
use serde_json::{json, Value};
use uuid::Uuid;

async fn execute(read: &ReadStore, sql: &str) {
    match read {
        ReadStore::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        ReadStore::Sqlite(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
    }
}

/// What a bug, or a hand, could do to every row of every projection.
async fn damage(read: &ReadStore) {
    execute(read, "UPDATE item_counters SET views = views + 1000, likes = likes + 7").await;
    execute(read, "UPDATE user_items SET views = 77").await;
    execute(read, "UPDATE content_items SET slug = 'damaged'").await;
    execute(read, "UPDATE comments SET body = 'lost'").await;
    execute(read, "UPDATE api_keys SET role = 'admin'").await;
}

/// The rows of `table` in `dump` that are about `id` (in `key`), or that are not.
fn rows(dump: &Value, table: &str, key: &str, id: Uuid, about: bool) -> Vec<Value> {
    let id = json!(id);
    dump[table].as_array().unwrap().iter().filter(|row| (row[key] == id) == about).cloned().collect()
}

async fn replay_all(f: &Fixture, from: u64) -> u64 {
    let mut in_range = 0;
    for projection in all_projections() {
        let report = replay(f.store.as_ref(), &f.read, projection.as_ref(), from, None, 3, |_, _| {}).await.unwrap();
        in_range += report.in_range;
    }
    in_range
}

pub async fn a_replay_recomputes_the_rows_its_range_is_about_and_a_second_changes_nothing(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    let a = w.create("article", "a", json!({"title": "Alpha", "author": author})).await;
    w.publish("article", a, 1).await;
    let b = w.create("article", "b", json!({"title": "Beta", "author": author})).await;
    w.publish("article", b, 2).await;
    for i in 0..5 {
        w.view("article", a, &format!("u{i}"), 3 + i).await;
        w.view("article", b, "u1", 3 + i).await;
    }
    w.toggle("like", "article", a, "u1", 9).await;
    w.toggle("like", "article", b, "u1", 9).await;
    w.share("article", a, "u2", 10).await;
    let comment = w.comment("article", a, None, "u3", "first").await;
    w.edit_comment("article", a, comment, "first, edited").await;
    w.issue_key(Role::Editor, 1, Some("ed")).await;
    // The range: a view and a revision, both about `a` only.
    let from = w.view("article", a, "u9", 20).await;
    w.revise("article", a, json!({"title": "Alpha renamed", "author": author})).await;
    f.drain().await;
    let clean_store = f.another_read_store().await;
    f.drain_into(&clean_store).await;
    let clean = dump(&clean_store).await;
    dump::assert_same(&dump(&f.read).await, &clean, "before the damage");

    damage(&f.read).await;
    let damaged = dump(&f.read).await;
    let checkpoints_before = f.read.checkpoints().await.unwrap();
    assert_eq!(replay_all(f, from).await, 2, "the view (engagement) and the revision (content)");
    let partly = dump(&f.read).await;
    for (table, key) in [("counters", "item"), ("user_items", "item"), ("items", "id")] {
        assert_eq!(rows(&partly, table, key, a, true), rows(&clean, table, key, a, true), "{table} of a: recomputed");
        assert_eq!(
            rows(&partly, table, key, a, false),
            rows(&damaged, table, key, a, false),
            "{table} of others: untouched"
        );
    }
    assert_eq!(partly["comments"], damaged["comments"], "no comment event in the range");
    assert_eq!(partly["api_keys"], damaged["api_keys"], "no key event in the range");
    assert_eq!(dump::search(&f.read, "renamed").await, vec![a], "the search text is recomputed too");
    let checkpoints_after = f.read.checkpoints().await.unwrap();
    assert_eq!(
        checkpoints_before.iter().map(|c| c.position).collect::<Vec<_>>(),
        checkpoints_after.iter().map(|c| c.position).collect::<Vec<_>>(),
        "a replay does not move checkpoints"
    );

    // The whole log: everything repaired; once more: nothing changes (no double counting).
    assert!(replay_all(f, 1).await > 20);
    dump::assert_same(&dump(&f.read).await, &clean, "after replaying the whole log");
    replay_all(f, 1).await;
    dump::assert_same(&dump(&f.read).await, &clean, "after replaying it twice");
    assert_eq!(dump::search(&f.read, "renamed").await, vec![a]);
    assert_eq!(dump::search(&f.read, "beta").await, vec![b]);

    // A range beyond the checkpoint is cut at it; one wholly beyond it does nothing.
    let head = f.store.head().await.unwrap();
    let content = all_projections().into_iter().next().unwrap();
    let report =
        replay(f.store.as_ref(), &f.read, content.as_ref(), head + 1, Some(head + 10), 100, |_, _| {}).await.unwrap();
    assert_eq!((report.to, report.in_range, report.reapplied), (head, 0, 0));
    clean_store.close().await;
}

pub async fn a_replay_under_live_traffic_ends_equal_to_a_clean_rebuild(f: &Fixture) {
    let w = std::sync::Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    for i in 0..30 {
        let a = w.create("article", &format!("a{i}"), json!({"title": format!("A{i}"), "author": author})).await;
        w.publish("article", a, i).await;
        w.view("article", a, &format!("u{}", i % 4), i).await;
        w.comment("article", a, None, "u", "hi").await;
    }
    f.drain().await;
    let writer = {
        let w = w.clone();
        tokio::spawn(async move {
            for i in 30..90 {
                let a =
                    w.create("article", &format!("a{i}"), json!({"title": format!("A{i}"), "author": author})).await;
                w.publish("article", a, i).await;
                w.view("article", a, &format!("u{}", i % 4), i).await;
                w.comment("article", a, None, "u", "hi").await;
            }
        })
    };
    let live = {
        let (store, read) = (f.store.clone(), f.read.clone());
        tokio::spawn(async move {
            for _ in 0..20 {
                let head = store.head().await.unwrap();
                for projection in all_projections() {
                    let feed = Box::new(projectors::StoreFeed::new(store.clone()));
                    let config = crate::fixture::runner_config();
                    let mut runner =
                        projectors::Runner::new(projection, read.clone(), feed, None, config).await.unwrap();
                    runner.run_until(head).await.unwrap();
                }
            }
        })
    };
    replay_all(f, 1).await;
    replay_all(f, 40).await;
    writer.await.unwrap();
    live.await.unwrap();
    f.drain().await;
    let clean = f.another_read_store().await;
    f.drain_into(&clean).await;
    dump::assert_same(&dump(&f.read).await, &dump(&clean).await, "replayed under traffic vs clean rebuild");
    clean.close().await;
}
