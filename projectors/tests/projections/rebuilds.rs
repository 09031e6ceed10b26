//! Blue/green rebuilds, resets and parked-event replays, while the live projection keeps
//! running: each ends with rows equal to a clean rebuild.

use crate::dump::{self, dump};
use crate::fixture::{runner_config, Fixture};
use crate::world::World;
use projectors::rebuild::{reset, Location, Rebuild};
use projectors::replay::Subject;
use projectors::{all_projections, Runner, StoreFeed};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Appends `rounds` articles with views, comments and an author rename now and then.
fn traffic(w: Arc<World>, author: uuid::Uuid, rounds: i64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for i in 0..rounds {
            let a = w.create("article", &format!("a{i}"), json!({"title": format!("A{i}"), "author": author})).await;
            w.publish("article", a, i).await;
            w.view("article", a, &format!("u{}", i % 7), i).await;
            w.comment("article", a, None, "u", "hi").await;
            if i % 40 == 0 {
                w.revise("author", author, json!({"name": format!("Au{i}")})).await;
            }
        }
    })
}

/// Every projection running live on `f.read` until the returned sender says stop.
fn live_runners(f: &Fixture) -> (tokio::sync::watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for projection in all_projections() {
        let (store, read, stopped) = (f.store.clone(), f.read.clone(), stopped.clone());
        tasks.push(tokio::spawn(async move {
            let feed = Box::new(StoreFeed::new(store));
            let config = projectors::RunnerConfig { batch_size: 17, ..runner_config() };
            let runner = Runner::new(projection, read, feed, None, config).await.unwrap();
            runner.run(stopped).await.unwrap();
        }));
    }
    (stop, tasks)
}

/// The indexes a PostgreSQL rebuild defers are back on the live tables after its switch.
async fn assert_deferred_indexes_are_live(f: &Fixture) {
    let projectors::ReadStore::Postgres(pool) = &f.read else { return };
    for projection in all_projections() {
        for index in projection.deferred_indexes() {
            let valid: Option<bool> = sqlx::query_scalar(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'folio_read' AND c.relname = $1",
            )
            .bind(index)
            .fetch_optional(pool)
            .await
            .unwrap();
            assert_eq!(valid, Some(true), "{index} is live and valid after the switch");
        }
    }
}

/// What a rebuild's next version holds now.
#[derive(Clone, Copy)]
enum Held {
    Indexes,
    Tables,
}

/// The names of the indexes or tables a rebuild's next version has now.
async fn next_version(f: &Fixture, rebuild: &Rebuild, held: Held) -> Vec<String> {
    match (rebuild.location(), &f.read) {
        (Location::Schema(schema), projectors::ReadStore::Postgres(pool)) => {
            let sql = match held {
                Held::Indexes => "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
                Held::Tables => "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
            };
            sqlx::query_scalar(sql).bind(schema).fetch_all(pool).await.unwrap()
        }
        (Location::File(path), projectors::ReadStore::Sqlite(_)) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
            let mut conn: sqlx::SqliteConnection = sqlx::Connection::connect_with(&options).await.unwrap();
            let kind = match held {
                Held::Indexes => "index",
                Held::Tables => "table",
            };
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = $1 ORDER BY 1")
                .bind(kind)
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
        (location, _) => panic!("a next version at {location:?} on another backend"),
    }
}

async fn assert_equal_to_a_clean_rebuild(f: &Fixture) {
    f.drain().await;
    let clean = f.another_read_store().await;
    f.drain_into(&clean).await;
    dump::assert_same(&dump(&f.read).await, &dump(&clean).await, "live vs clean rebuild");
    // Full text is not in the dump: SQLite's switch copies FTS5's index as stored.
    let mut found = 0;
    for words in ["a0", "a1", "a29", "a119", "e0", "e3"] {
        let live = dump::search(&f.read, words).await;
        assert_eq!(live, dump::search(&clean, words).await, "search {words:?}: live vs clean rebuild");
        found += live.len();
    }
    assert!(found > 0, "the words match titles of every test's traffic");
    if let projectors::ReadStore::Sqlite(pool) = &f.read {
        sqlx::query("INSERT INTO content_search (content_search) VALUES ('integrity-check')")
            .execute(pool)
            .await
            .expect("the switched-in full-text index is consistent");
    }
}

pub async fn a_rebuild_beside_the_live_projection_switches_in_equal_to_a_clean_rebuild(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    let writer = traffic(w.clone(), author, 150);
    let (stop, live) = live_runners(f);
    tokio::time::sleep(Duration::from_millis(50)).await;
    for projection in all_projections() {
        let config = projectors::RunnerConfig { batch_size: 23, ..runner_config() };
        let mut rebuild = Rebuild::open(f.store.clone(), &f.read, projection.clone(), config, false).await.unwrap();
        let mut steps = 0;
        rebuild.catch_up(40, |_, _| steps += 1).await.unwrap();
        assert!(steps > 1, "progress is reported as it goes");
        let switched = rebuild.switch(true).await.unwrap();
        assert!(switched.position > 0);
        assert_eq!(switched.old, None, "dropped");
    }
    writer.await.unwrap();
    let _ = stop.send(true);
    for task in live {
        task.await.unwrap();
    }
    assert_equal_to_a_clean_rebuild(f).await;
    assert_deferred_indexes_are_live(f).await;
    assert_eq!(dump::counters(&f.read).await.as_array().unwrap().len(), 150);
    if let projectors::ReadStore::Postgres(pool) = &f.read {
        let leftovers: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'folio_rebuild_%' OR nspname LIKE 'folio_old_%'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(leftovers, 0, "the rebuild schema is gone and --drop-old dropped the old version");
    }
}

/// Kills a rebuild mid-way: after its third step of 10 positions has been reported, its
/// catch-up is dropped at whatever await it is on inside the fourth.
async fn kill_mid_catch_up(rebuild: &mut Rebuild) {
    let (steps, mut reported) = tokio::sync::mpsc::unbounded_channel();
    tokio::select! {
        _ = rebuild.catch_up(10, |at, _| {
            let _ = steps.send(at);
        }) => panic!("finished before the crash"),
        _ = async { for _ in 0..3 { reported.recv().await; } } => {}
    }
}

pub async fn a_rebuild_that_crashed_resumes_where_it_committed(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    traffic(w.clone(), author, 120).await.unwrap();
    f.drain().await;
    let content = || all_projections().into_iter().find(|p| p.name() == "content").unwrap();
    let config = projectors::RunnerConfig { batch_size: 7, ..runner_config() };
    let mut first = Rebuild::open(f.store.clone(), &f.read, content(), config, false).await.unwrap();
    kill_mid_catch_up(&mut first).await;
    let reached = first.checkpoint();
    drop(first);
    if let projectors::ReadStore::Postgres(pool) = &f.read {
        let deferred: Vec<String> =
            sqlx::query_scalar("SELECT name FROM folio_rebuild_content.folio_deferred_indexes ORDER BY name")
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(deferred, vec!["content_items_search_idx"], "the next version is built without it");
        let running: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'folio_rebuild_content' AND c.relkind = 'r' AND c.relname NOT LIKE 'folio\\_%' \
             AND NOT 'autovacuum_enabled=false' = ANY(coalesce(c.reloptions, '{}'))",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(
            running,
            Vec::<String>::new(),
            "no autovacuum on the next version's read models while they are built"
        );
    }
    let head = f.store.head().await.unwrap();
    assert!(reached > 0 && reached < head, "the crash fell mid-rebuild ({reached} of {head})");
    let mut resumed = Rebuild::open(f.store.clone(), &f.read, content(), config, false).await.unwrap();
    assert!(resumed.checkpoint() >= reached.saturating_sub(7), "resumes where it committed, not from 0");
    resumed.catch_up(1000, |_, _| {}).await.unwrap();
    let switched = resumed.switch(false).await.unwrap();
    assert_eq!(switched.position, head);
    assert_deferred_indexes_are_live(f).await;
    if let projectors::ReadStore::Postgres(pool) = &f.read {
        assert!(switched.old.unwrap().starts_with("folio_old_content_"), "kept without --drop-old");
        let paused: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'folio_read' AND 'autovacuum_enabled=false' = ANY(c.reloptions)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(paused, 0, "autovacuum is back on for the switched-in tables");
        let statistics: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'folio_read' AND tablename = 'content_items'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(statistics > 0, "the switched-in tables were analyzed");
        let unvacuumed: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables WHERE schemaname = 'folio_read' \
             AND relname IN ('content_items', 'content_refs', 'content_embeds') AND last_vacuum IS NULL ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(unvacuumed, Vec::<String>::new(), "the switched-in tables were vacuumed before the switch");
    }
    assert_equal_to_a_clean_rebuild(f).await;
}

/// Views, likes and shares on a few items, several views per (user, item).
async fn engagement_traffic(w: &World, items: &[uuid::Uuid], rounds: i64, from: i64) {
    for i in from..from + rounds {
        let item = items[(i % items.len() as i64) as usize];
        let user = format!("u{}", i % 5);
        w.view("article", item, &user, i).await;
        if i % 9 == 0 {
            w.share("article", item, &user, i).await;
        }
        if i % 11 == 0 {
            w.toggle("like", "article", item, &format!("liker{i}"), i).await;
        }
        // A viewer's own bookmark: a row that a rebuild's staged views are merged into.
        if i % 13 == 0 {
            w.toggle("bookmark", "article", item, &user, i).await;
        }
    }
}

/// Engagement is rebuilt with views left out of the counters (and on SQLite set aside, then
/// merged into `user_items` with the likes and bookmarks already there) and summed into the
/// counters at the end: killed mid-way it resumes
/// that way; killed after the merge it never merges again; and views applied after it are
/// counted one by one. Each ends equal to a clean rebuild.
pub async fn an_engagement_rebuild_counts_views_once_across_crashes(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let mut items = Vec::new();
    for i in 0..4 {
        let a = w.create("article", &format!("e{i}"), json!({"title": format!("E{i}")})).await;
        w.publish("article", a, i).await;
        items.push(a);
    }
    engagement_traffic(&w, &items, 90, 0).await;
    f.drain().await;
    let engagement = || all_projections().into_iter().find(|p| p.name() == "engagement").unwrap();
    let config = projectors::RunnerConfig { batch_size: 5, ..runner_config() };
    let mut first = Rebuild::open(f.store.clone(), &f.read, engagement(), config, false).await.unwrap();
    kill_mid_catch_up(&mut first).await;
    let history = "user_items_history_idx".to_owned();
    let staged = "user_item_views_staged".to_owned();
    assert!(!next_version(f, &first, Held::Indexes).await.contains(&history), "the next version is built without it");
    let sets_aside = matches!(f.read, projectors::ReadStore::Sqlite(_));
    assert_eq!(next_version(f, &first, Held::Tables).await.contains(&staged), sets_aside, "views set aside on SQLite");
    drop(first);
    let mut second = Rebuild::open(f.store.clone(), &f.read, engagement(), config, false).await.unwrap();
    assert!(second.checkpoint() > 0, "resumed mid-way");
    second.catch_up(1000, |_, _| {}).await.unwrap();
    assert!(!next_version(f, &second, Held::Indexes).await.contains(&history), "still deferred after the resume");
    second.finish_bulk_work().await.unwrap();
    assert!(next_version(f, &second, Held::Indexes).await.contains(&history), "built once caught up");
    assert!(!next_version(f, &second, Held::Tables).await.contains(&staged), "merged and dropped once caught up");
    drop(second);
    engagement_traffic(&w, &items, 40, 90).await;
    let mut third = Rebuild::open(f.store.clone(), &f.read, engagement(), config, false).await.unwrap();
    third.catch_up(1000, |_, _| {}).await.unwrap();
    third.switch(true).await.unwrap();
    assert_equal_to_a_clean_rebuild(f).await;
    let views: i64 =
        dump::counters(&f.read).await.as_array().unwrap().iter().map(|row| row["views"].as_i64().unwrap()).sum();
    assert_eq!(views, 130, "every view counted once");
}

/// A second rebuild of a projection is refused while one runs, even with `--restart`, and leaves
/// the running one's next version alone; another projection rebuilds meanwhile; once the first
/// is dropped (a crash), the projection can be rebuilt again.
pub async fn a_second_rebuild_of_a_projection_is_refused_while_one_runs(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    traffic(w.clone(), author, 30).await.unwrap();
    f.drain().await;
    let named = |name: &str| all_projections().into_iter().find(|p| p.name() == name).unwrap();
    let config = projectors::RunnerConfig { batch_size: 7, ..runner_config() };
    let mut first = Rebuild::open(f.store.clone(), &f.read, named("content"), config, false).await.unwrap();
    first.catch_up(10, |_, _| {}).await.unwrap();

    let started = std::time::Instant::now();
    let refused = Rebuild::open(f.store.clone(), &f.read, named("content"), config, true).await.unwrap_err();
    assert!(
        matches!(&refused, projectors::RunnerError::RebuildRunning { projection, .. } if projection == "content"),
        "refused as running: {refused}"
    );
    assert!(refused.to_string().contains("already running"), "{refused}");
    assert!(started.elapsed() >= projectors::rebuild::lock::WAIT, "waited for the lock before refusing");

    let other = Rebuild::open(f.store.clone(), &f.read, named("comments"), config, false).await.unwrap();
    other.switch(true).await.unwrap();

    // Had the refused `--restart` discarded the first's next version, this switch would fail.
    first.switch(true).await.unwrap();
    assert_equal_to_a_clean_rebuild(f).await;

    let crashed = Rebuild::open(f.store.clone(), &f.read, named("content"), config, false).await.unwrap();
    drop(crashed);
    let again = Rebuild::open(f.store.clone(), &f.read, named("content"), config, true).await.unwrap();
    again.switch(true).await.unwrap();
    assert_equal_to_a_clean_rebuild(f).await;
}

pub async fn a_reset_projection_applies_the_log_again_and_ends_equal(f: &Fixture) {
    let w = Arc::new(World::new(f.store.clone()));
    w.blog_types().await;
    let author = w.create("author", "au", json!({"name": "Au"})).await;
    traffic(w.clone(), author, 30).await.unwrap();
    f.drain().await;
    for projection in all_projections() {
        reset::reset(&f.read, projection.as_ref()).await.unwrap();
        assert_eq!(f.read.checkpoint(projection.name()).await.unwrap(), 0);
    }
    assert_eq!(dump::counters(&f.read).await.as_array().unwrap().len(), 0, "emptied");
    assert_equal_to_a_clean_rebuild(f).await;
    // Nothing parked here: a replay applies nothing and leaves nothing.
    let content = all_projections().into_iter().find(|p| p.name() == "content").unwrap();
    let replayed = reset::replay_parked(f.store.as_ref(), &f.read, content.as_ref()).await.unwrap();
    assert_eq!((replayed.applied, replayed.still_parked.len()), (0, 0));
}

/// A replay on a version built by engagement's bulk variant (forget an item, apply its events
/// again) counts the item's views once: the variant forgets what it set aside too.
pub async fn the_bulk_variant_forgets_the_views_it_set_aside(f: &Fixture) {
    let w = World::new(f.store.clone());
    w.blog_types().await;
    let (a, b) = (
        w.create("article", "fa", json!({"title": "A"})).await,
        w.create("article", "fb", json!({"title": "B"})).await,
    );
    for i in 0..6 {
        w.view("article", if i % 2 == 0 { a } else { b }, &format!("u{i}"), i).await;
    }
    let engagement = all_projections().into_iter().find(|p| p.name() == "engagement").unwrap();
    let variant = engagement.bulk_build().unwrap();
    let events = |item: Option<uuid::Uuid>| {
        let (store, variant) = (f.store.clone(), variant.clone());
        async move {
            store
                .read_all(0, 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| variant.handles(&e.event_type))
                .map(|e| projectors::Decoded::decode(e).unwrap())
                .filter(|d| item.is_none_or(|item| variant.subjects(&d.event).contains(&Subject::Item(item))))
                .collect::<Vec<_>>()
        }
    };
    let mut tx = f.read.begin().await.unwrap();
    variant.apply(&mut tx, &events(None).await).await.unwrap();
    variant.forget(&mut tx, &[Subject::Item(a)].into_iter().collect()).await.unwrap();
    variant.apply(&mut tx, &events(Some(a)).await).await.unwrap();
    engagement.complete_bulk_build(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let counters = dump::counters(&f.read).await;
    let views = |item: uuid::Uuid| {
        counters.as_array().unwrap().iter().find(|row| row["item"] == json!(item)).map(|row| row["views"].clone())
    };
    assert_eq!((views(a), views(b)), (Some(json!(3)), Some(json!(3))), "{counters}");
}
