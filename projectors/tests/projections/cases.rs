//! Given events, the rows each projection writes.

use crate::dump::{self, dump};
use crate::fixture::Fixture;
use crate::world::World;
use events::payloads::Role;
use projectors::keys::KeysProjection;
use projectors::{Decoded, Projection};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn document(items: &Value, id: uuid::Uuid) -> &Value {
    items.as_array().unwrap().iter().find(|i| i["id"] == json!(id)).map(|i| &i["document"]).unwrap()
}

pub async fn documents_expand_references_and_tree_paths(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let ada = w.create("author", "ada", json!({"name": "Ada", "bio": "Writes compilers."})).await;
    let tech = w.create("category", "tech", json!({"name": "Tech"})).await;
    let rust = w.create("category", "rust", json!({"name": "Rust", "parent": tech})).await;
    let t1 = w.create("tag", "async", json!({"name": "async"})).await;
    let t2 = w.create("tag", "databases", json!({"name": "databases"})).await;
    let article = w
        .create(
            "article",
            "hello-rust",
            json!({
                "title": "Hello Rust", "summary": "A first look", "body": "<p>Ownership <b>and</b> borrowing</p>",
                "rating": 4, "featured": true, "section": "news", "event_on": "2024-03-01T10:00:00Z",
                "cover": {"url": "https://img.example/c.png", "alt": "cover"}, "extra": {"k": [1, 2]},
                "author": ada, "category": rust, "tags": [t2, t1]
            }),
        )
        .await;
    w.publish("article", article, 60).await;
    f.drain().await;

    let mut rows = dump(&f.read).await;
    for item in rows["items"].as_array_mut().unwrap() {
        // recorded_at is the store's clock
        item["document"]["created_at"] = json!("[time]");
        item["document"]["updated_at"] = json!("[time]");
    }
    insta::assert_json_snapshot!("documents", rows);
    assert_eq!(dump::search(&f.read, "borrowing").await, vec![article], "body words are searchable");
    assert_eq!(dump::search(&f.read, "rust").await, vec![rust, article], "title words are searchable");
    assert_eq!(dump::referencing(&f.read, "category", tech).await, vec![article], "the subtree filter row");
}

pub async fn renaming_a_referenced_item_re_renders_every_document_that_embeds_it(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let ada = w.create("author", "ada", json!({"name": "Ada"})).await;
    let tag = w.create("tag", "db", json!({"name": "db"})).await;
    let mut articles = Vec::new();
    for i in 0..5 {
        let a = w
            .create("article", &format!("a-{i}"), json!({"title": format!("A{i}"), "author": ada, "tags": [tag]}))
            .await;
        articles.push(a);
    }
    f.drain().await;
    w.revise("author", ada, json!({"name": "Ada Lovelace"})).await;
    w.revise("tag", tag, json!({"name": "databases"})).await;
    f.drain().await;
    let items = dump::items(&f.read).await;
    for a in &articles {
        let doc = document(&items, *a);
        assert_eq!(doc["author"]["name"], "Ada Lovelace", "{doc}");
        assert_eq!(doc["tags"][0]["name"], "databases", "{doc}");
    }
    // The same in one batch: the rename and the items that embed it, created together.
    let f2 = f.another_read_store().await;
    f.drain_into(&f2).await;
    dump::assert_same(&dump(&f2).await, &dump(&f.read).await, "one batch vs many");
}

pub async fn moving_a_category_moves_its_subtree_in_relation_rows(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let news = w.create("category", "news", json!({"name": "News"})).await;
    let sport = w.create("category", "sport", json!({"name": "Sport"})).await;
    let local = w.create("category", "local", json!({"name": "Local", "parent": news})).await;
    let street = w.create("category", "street", json!({"name": "Street", "parent": local})).await;
    let article = w.create("article", "match", json!({"title": "Match", "category": street})).await;
    f.drain().await;
    assert_eq!(dump::referencing(&f.read, "category", news).await, vec![article]);
    assert_eq!(dump::referencing(&f.read, "category", local).await, vec![article]);

    w.revise("category", local, json!({"parent": sport})).await;
    w.revise("category", sport, json!({"name": "Sports"})).await;
    f.drain().await;
    assert!(dump::referencing(&f.read, "category", news).await.is_empty(), "no longer under News");
    assert_eq!(dump::referencing(&f.read, "category", sport).await, vec![article]);
    let items = dump::items(&f.read).await;
    let path: Vec<&str> = document(&items, article)["category"]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["Sports", "Local"], "the article's category path follows the move and the rename");
    assert_eq!(document(&items, street)["path"].as_array().unwrap().len(), 2);
}

pub async fn lifecycle_status_and_values_follow_the_events(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a = w.create("article", "a", json!({"title": "A", "rating": 2, "featured": false, "section": "opinion"})).await;
    let b = w.create("article", "b", json!({"title": "B"})).await;
    w.schedule("article", a, 120).await;
    f.drain().await;
    let status =
        |items: &Value, id| items.as_array().unwrap().iter().find(|i| i["id"] == json!(id)).unwrap()["status"].clone();
    let items = dump::items(&f.read).await;
    assert_eq!(status(&items, a), "scheduled");
    assert_eq!(document(&items, a)["publish_at"], "2024-01-01T02:00:00Z");
    w.publish("article", a, 120).await;
    w.publish("article", b, 130).await;
    w.unpublish("article", b).await;
    w.archive("article", b).await;
    w.revise("article", a, json!({"rating": 5, "section": null})).await;
    f.drain().await;
    let items = dump::items(&f.read).await;
    assert_eq!(status(&items, a), "published");
    assert_eq!(status(&items, b), "archived");
    assert!(document(&items, a).get("section").is_none(), "a null in a revision clears the field");
    assert_eq!(document(&items, a)["version"], 4);
    // A revision that makes a field filterable gives every existing item its value row.
    w.revise_type("article", json!({"fields": [
        {"name": "title", "kind": "string", "required": true, "max_length": 200, "sortable": true, "filterable": true},
        {"name": "rating", "kind": "integer", "filterable": true, "sortable": true},
        {"name": "featured", "kind": "boolean", "filterable": true},
        {"name": "section", "kind": "enum", "values": ["news", "opinion"], "filterable": true}
    ]}))
    .await;
    f.drain().await;
    insta::assert_json_snapshot!("lifecycle_values", dump::values(&f.read).await);
}

pub async fn comments_thread_and_hide_removed_ones(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a = w.create("article", "a", json!({"title": "A"})).await;
    w.publish("article", a, 1).await;
    let c1 = w.comment("article", a, None, "u1", "first").await;
    let c2 = w.comment("article", a, Some(c1), "u2", "reply").await;
    f.drain().await;
    // Replies in a later batch find their parent's thread in the table.
    let c3 = w.comment("article", a, Some(c2), "u3", "deeper").await;
    let c4 = w.comment("article", a, None, "u4", "second thread").await;
    w.edit_comment("article", a, c2, "reply (edited)").await;
    w.remove_comment("article", a, c4).await;
    let c5 = w.comment("article", a, Some(c1), "u5", "another reply").await;
    f.drain().await;
    let comments = dump::comments(&f.read).await;
    let order: Vec<Value> = comments.as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(order, vec![json!(c1), json!(c2), json!(c3), json!(c5), json!(c4)], "depth first, oldest first");
    insta::assert_json_snapshot!("comments", comments);
    let counters = dump::counters(&f.read).await;
    assert_eq!(counters[0]["comments"], 4, "five posted, one removed");
}

pub async fn engagement_counts_once_and_keeps_user_state_and_history(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let a1 = w.create("article", "a1", json!({"title": "A1"})).await;
    let a2 = w.create("article", "a2", json!({"title": "A2"})).await;
    w.view("article", a1, "u1", 1).await;
    w.view("article", a2, "u1", 3).await;
    w.view("article", a1, "u2", 4).await;
    f.drain().await;
    w.view("article", a1, "u1", 5).await;
    w.toggle("like", "article", a1, "u1", 6).await;
    w.toggle("unlike", "article", a1, "u1", 7).await;
    w.toggle("like", "article", a1, "u1", 8).await;
    w.toggle("like", "article", a1, "u2", 8).await;
    w.toggle("bookmark", "article", a2, "u1", 9).await;
    w.toggle("bookmark", "article", a2, "u2", 9).await;
    w.toggle("unbookmark", "article", a2, "u2", 10).await;
    w.share("article", a2, "u2", 11).await;
    f.drain().await;
    let rows = json!({"counters": dump::counters(&f.read).await, "user_items": dump::user_items(&f.read).await});
    insta::assert_json_snapshot!("engagement", rows);
    assert_eq!(dump::history(&f.read, "u1").await, vec![a1, a2], "newest view first");
}

pub async fn events_of_many_streams_interleaved_project_like_one_by_one(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let mut rng = fastrand::Rng::with_seed(7);
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    let mut items = Vec::new();
    let mut comments = Vec::new();
    for step in 0..300_i64 {
        match rng.u8(0..6) {
            0 | 1 if items.len() < 40 => {
                let id = w
                    .create("article", &format!("s{step}"), json!({"title": format!("S{step}"), "author": author}))
                    .await;
                items.push(id);
            }
            2 if !items.is_empty() => w.publish("article", items[rng.usize(0..items.len())], step).await,
            3 if !items.is_empty() => {
                let item = items[rng.usize(0..items.len())];
                let parent =
                    if comments.is_empty() || rng.bool() { None } else { Some(comments[rng.usize(0..comments.len())]) };
                let parent = parent.filter(|(i, _)| *i == item).map(|(_, c)| c);
                comments.push((item, w.comment("article", item, parent, "u", "c").await));
            }
            4 => w.revise("author", author, json!({"name": format!("Au{step}")})).await,
            _ if !items.is_empty() => {
                w.view("article", items[rng.usize(0..items.len())], &format!("u{}", rng.u8(0..9)), step).await;
            }
            _ => {}
        }
    }
    f.drain().await;
    let one_by_one = f.another_read_store().await;
    let head = f.store.head().await.unwrap();
    for projection in projectors::all_projections() {
        let feed = Box::new(projectors::StoreFeed::new(f.store.clone()));
        let config = projectors::RunnerConfig { batch_size: 1, ..crate::fixture::runner_config() };
        let mut runner = projectors::Runner::new(projection, one_by_one.clone(), feed, None, config).await.unwrap();
        runner.run_until(head).await.unwrap();
    }
    dump::assert_same(&dump(&one_by_one).await, &dump(&f.read).await, "one by one vs batched");
}

pub async fn one_shared_read_of_the_log_builds_the_same_rows_as_private_reads(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    for i in 0..40_i64 {
        let a = w.create("article", &format!("a{i}"), json!({"title": format!("A{i}"), "author": author})).await;
        w.publish("article", a, i).await;
        w.view("article", a, "u1", i).await;
        let c = w.comment("article", a, None, "u2", "first").await;
        w.comment("article", a, Some(c), "u3", "reply").await;
    }
    f.drain().await;
    let shared = f.another_read_store().await;
    // Half of the log, all projections at once (the reader waits for the slowest)...
    let half = f.store.head().await.unwrap() / 2;
    let projections = projectors::all_projections();
    let feeds = projectors::feed::SharedLog::start(f.store.clone(), &projections, 0, 7, Duration::from_millis(1));
    let mut tasks = Vec::new();
    for (projection, feed) in projections.into_iter().zip(feeds) {
        let config = crate::fixture::runner_config();
        let mut runner =
            projectors::Runner::new(projection, shared.clone(), Box::new(feed), None, config).await.unwrap();
        tasks.push(tokio::spawn(async move { runner.run_until(half).await.unwrap() }));
    }
    for task in tasks {
        assert!(task.await.unwrap() >= half);
    }
    // ...then comments goes back to 0, behind what the next reader hands out, and the rest.
    let mut tx = shared.begin().await.unwrap();
    let reset =
        ["DELETE FROM comments", "UPDATE projection_checkpoints SET position = 0 WHERE projection = 'comments'"];
    for sql in reset {
        match &mut tx {
            projectors::ReadTx::Postgres(tx) => drop(sqlx::query(sql).execute(&mut **tx).await.unwrap()),
            projectors::ReadTx::Sqlite(tx) => drop(sqlx::query(sql).execute(&mut **tx).await.unwrap()),
        }
    }
    tx.commit().await.unwrap();
    f.drain_shared_into(&shared).await;
    dump::assert_same(&dump(&shared).await, &dump(&f.read).await, "shared vs private reads");
}

/// The api_keys rows with the store's clock redacted.
async fn keys_rows(f: &Fixture) -> Value {
    let mut rows = dump::api_keys(&f.read).await;
    for row in rows.as_array_mut().unwrap() {
        for at in ["issued_at", "revoked_at"] {
            if !row[at].is_null() {
                row[at] = json!("[time]");
            }
        }
    }
    rows
}

pub async fn keys_are_issued_and_revoked(f: &Fixture) {
    let w = World::new(f.store.clone());
    let admin = w.issue_key(Role::Admin, 1, Some("ops")).await;
    let site = w.issue_key(Role::Site, 2, None).await;
    f.drain().await;
    w.revoke_key(admin).await;
    f.drain().await;
    let rows = keys_rows(f).await;
    insta::assert_json_snapshot!("keys", rows);
    assert_eq!(rows[0]["key"], json!(admin));
    assert_eq!((&rows[0]["revoked"], &rows[0]["role"]), (&json!(true), &json!("admin")));
    assert_eq!((&rows[1]["key"], &rows[1]["revoked"]), (&json!(site), &json!(false)));
}

pub async fn a_key_issued_and_revoked_in_one_batch_ends_revoked(f: &Fixture) {
    let w = World::new(f.store.clone());
    let gone = w.issue_key(Role::Editor, 1, None).await;
    w.revoke_key(gone).await;
    let kept = w.issue_key(Role::Author, 2, Some("blog")).await;
    // Exactly one batch: the log's key events, applied in one transaction.
    let head = f.store.head().await.unwrap();
    let events: Vec<Decoded> = f
        .store
        .read_all(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| KeysProjection.handles(&e.event_type))
        .map(|e| Decoded::decode(e).unwrap())
        .collect();
    assert_eq!(events.len(), 3);
    let mut tx = f.read.begin().await.unwrap();
    let applied = KeysProjection.apply(&mut tx, &events).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(applied.items, [gone, kept].into_iter().collect(), "the notice names the changed keys");
    let rows = keys_rows(f).await;
    assert_eq!((&rows[0]["key"], &rows[0]["revoked"]), (&json!(gone), &json!(true)), "{rows}");
    assert_eq!((&rows[1]["key"], &rows[1]["revoked"]), (&json!(kept), &json!(false)), "{rows}");
    // The same events one per batch build the same rows.
    let one_by_one = f.another_read_store().await;
    let feed = Box::new(projectors::StoreFeed::new(f.store.clone()));
    let config = projectors::RunnerConfig { batch_size: 1, ..crate::fixture::runner_config() };
    let mut runner =
        projectors::Runner::new(Arc::new(KeysProjection), one_by_one.clone(), feed, None, config).await.unwrap();
    runner.run_until(head).await.unwrap();
    assert_eq!(dump::api_keys(&one_by_one).await, dump::api_keys(&f.read).await, "one by one vs one batch");
}

pub async fn a_revoke_of_an_unknown_key_leaves_a_revoked_marker(f: &Fixture) {
    let w = World::new(f.store.clone());
    let id = w.id();
    w.revoke_key(id).await;
    f.drain().await;
    assert!(f.read.parked("keys").await.unwrap().is_empty(), "not an error");
    assert_eq!(f.read.checkpoint("keys").await.unwrap(), f.store.head().await.unwrap());
    let rows = keys_rows(f).await;
    assert_eq!(
        rows,
        json!([{"key": id, "role": "", "secret_sha256": "", "label": null, "revoked": true,
                "issued_at": null, "revoked_at": "[time]"}])
    );
    // Its issue arriving later (a parked event replayed) fills the row in; the key stays revoked.
    w.issue_key_as(id, Role::Admin, 3, None).await;
    f.drain().await;
    let rows = keys_rows(f).await;
    assert_eq!((&rows[0]["role"], &rows[0]["revoked"]), (&json!("admin"), &json!(true)), "{rows}");
    assert_eq!(rows[0]["secret_sha256"], json!(World::key_hash(3)));
}
