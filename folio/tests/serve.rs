//! `folio serve` as a user meets it: health and readiness over HTTP, on a random port.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use folio::serve::Application;
use infra::event_store::postgres::PostgresEventStore;
use infra::event_store::sqlite::SqliteEventStore;
use infra::{EventStore, StoreConfig};
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

async fn spawn(store: Arc<dyn EventStore>) -> String {
    let app = Application::with_store("127.0.0.1", 0, store).unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

async fn get(url: &str) -> (u16, String, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, response.json().await.unwrap())
}

#[tokio::test]
async fn healthz_and_readyz_answer_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteEventStore::open(&dir.path().join("events.sqlite"), StoreConfig::default()).await.unwrap();
    let url = spawn(Arc::new(store)).await;

    assert_eq!(get(&format!("{url}/healthz")).await, (200, "application/json".into(), json!({"status": "ok"})));
    let (status, _, body) = get(&format!("{url}/readyz")).await;
    assert_eq!((status, body), (200, json!({"status": "ready", "event_store": {"head": 0}})));
}

#[tokio::test]
async fn readyz_is_503_problem_json_when_the_event_store_is_gone() {
    let admin_url =
        std::env::var("FOLIO_TEST_PG_URL").unwrap_or_else(|_| "postgres://folio:folio@127.0.0.1:55432/postgres".into());
    let database = format!("folio_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(&admin_url).await.expect("PostgreSQL must run (scripts/dev-up)");
    sqlx::query(&format!("CREATE DATABASE {database}")).execute(&mut admin).await.unwrap();
    let url = format!("{}/{database}", admin_url.rsplit_once('/').unwrap().0);
    let store = PostgresEventStore::connect(&url, StoreConfig::default()).await.unwrap();
    let app_url = spawn(Arc::new(store)).await;
    assert_eq!(get(&format!("{app_url}/readyz")).await.0, 200);

    sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)")).execute(&mut admin).await.unwrap();

    let (status, content_type, body) = get(&format!("{app_url}/readyz")).await;
    assert_eq!((status, content_type.as_str()), (503, "application/problem+json"));
    assert_eq!(body["code"], "not_ready");
    assert_eq!(body["status"], 503);
    assert_eq!(get(&format!("{app_url}/healthz")).await.0, 200, "the process itself is still healthy");
}

#[tokio::test]
async fn the_binary_prints_its_url_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL on the first line").to_owned();

    let (status, _, body) = get(&format!("{url}/healthz")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    assert!(dir.path().join("data/events.sqlite").exists(), "the embedded store lives in the data dir");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "folio serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "graceful stop exits 0, got {status}");
}

#[tokio::test]
async fn keys_create_prints_a_working_key_as_the_last_token_of_its_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["keys", "create", "--role", "admin", "--label", "bootstrap", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout.lines().last().unwrap().split_whitespace().last().unwrap().to_owned();
    assert!(key.starts_with("folio_"), "{stdout}");

    let refused = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["keys", "create", "--role", "root", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!refused.status.success(), "an unknown role is an error");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown role"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let client = reqwest::Client::new();
    let with_key = client.get(format!("{url}/v1/types/article")).bearer_auth(&key).send().await.unwrap();
    let without = client.get(format!("{url}/v1/types/article")).send().await.unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(with_key.status().as_u16(), 404, "authenticated: the type just does not exist yet");
    assert_eq!(without.status().as_u16(), 401);
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["keys", "create", "--role", "admin", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let key = String::from_utf8(output.stdout).unwrap().split_whitespace().last().unwrap().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["serve", "--port", "0", "--max-body-bytes", "2048", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let client = reqwest::Client::new();
    let small = json!({"fields": [{"name": "name", "kind": "string"}]});
    let big = json!({"fields": [{"name": "name", "kind": "enum", "values": vec!["x".repeat(100); 30]}]});
    let ok = client.put(format!("{url}/v1/types/tag")).bearer_auth(&key).json(&small).send().await.unwrap();
    let refused = client.put(format!("{url}/v1/types/big")).bearer_auth(&key).json(&big).send().await.unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(ok.status().as_u16(), 201);
    assert_eq!(refused.status().as_u16(), 413);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large");
}

/// Kills the child when dropped, so a failed assertion leaves no server behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `scripts/serve` runs `folio serve --demo`: the demo blog is there to read, and a second start
/// adds nothing.
#[tokio::test]
async fn serve_with_demo_starts_with_the_demo_blog_readable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        let mut child = Killed(
            Command::new(env!("CARGO_BIN_EXE_folio"))
                .args(["serve", "--demo", "--port", "0", "--data-dir"])
                .arg(&data)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
        let hint = lines.next().unwrap().unwrap();
        assert!(hint.contains("/v1/content/article"), "points at the demo's articles: {hint}");
        (child, url)
    };
    let count = |url: String| async move {
        // The projectors catch up in the background: wait for the list to fill, bounded.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (status, _, body) = get(&format!("{url}/v1/content/article?limit=100&count=exact")).await;
            // Until the content projection has applied the type, the type is unknown to reads.
            assert!(status == 200 || body["code"] == "unknown_type", "{body}");
            let n = body["count"]["value"].as_i64().unwrap_or(0);
            if n >= 44 || std::time::Instant::now() > deadline {
                return (n, body);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (child, url) = start();
    let (published, body) = count(url.clone()).await;
    assert_eq!(published, 44, "fifty articles: five drafts and one scheduled are not public");
    assert!(body["data"][0]["author"]["name"].is_string(), "documents come with their references expanded");
    drop(child);
    let (_again, url) = start();
    assert_eq!(count(url).await.0, 44, "a second start with --demo adds nothing");
}

/// Runs `folio serve` on `data` until `projections status` shows no lag; returns that status.
async fn serve_until_caught_up(data: &std::path::Path) -> Vec<Value> {
    let mut server = Killed(
        Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Its first line says it is listening: its stores exist and are migrated, so the status
    // commands below do not race it to create them.
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("http://"), "folio serve did not start: {line:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let output = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(["projections", "status", "--json", "--data-dir"])
            .arg(data)
            .output()
            .unwrap();
        let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_default();
        if !rows.is_empty() && rows.iter().all(|r| r["lag_events"] == 0) {
            return rows;
        }
        assert!(std::time::Instant::now() < deadline, "never caught up: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `folio projections status`: before any projector ran every projection lags by the whole log;
/// after `folio serve` caught up, by nothing.
#[tokio::test]
async fn projections_status_shows_lag_in_events_and_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folio = |args: &[&str]| {
        let output =
            Command::new(env!("CARGO_BIN_EXE_folio")).args(args).arg("--data-dir").arg(&data).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    folio(&["seed", "--dataset", "demo"]);
    let status =
        |text: String| -> Vec<Value> { serde_json::from_str::<Value>(&text).unwrap().as_array().unwrap().clone() };
    let before = status(folio(&["projections", "status", "--json"]));
    let names: Vec<&str> = before.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["content", "comments", "engagement", "keys"]);
    let head = before[0]["head"].as_u64().unwrap();
    assert!(head > 100, "the demo has events: {head}");
    for row in &before {
        assert_eq!((row["position"].as_u64(), row["lag_events"].as_u64()), (Some(0), Some(head)), "{row}");
        assert!(row["lag_seconds"].as_f64().unwrap() > 0.0, "the oldest waiting event has an age: {row}");
        assert_eq!(row["state"], "never ran");
        assert_eq!(row["parked"], 0);
    }
    let table = folio(&["projections", "status"]);
    assert!(table.lines().next().unwrap().contains("lag events"), "{table}");

    let after = serve_until_caught_up(&data).await;
    for row in &after {
        assert_eq!((row["position"].as_u64(), row["lag_seconds"].as_f64()), (Some(head), Some(0.0)), "{row}");
        assert_eq!(row["state"], "running");
    }
}

/// `folio events export` → `import` into a fresh store (SQLite, then PostgreSQL) gives the same
/// events, byte for byte; importing again appends nothing; `stats`, `read` and `tail` see them.
#[tokio::test]
async fn events_export_import_round_trip_on_both_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let folio = |args: &[&str], store: &[String]| {
        let output = Command::new(env!("CARGO_BIN_EXE_folio")).args(args).args(store).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let data = |name: &str| vec!["--data-dir".to_owned(), dir.path().join(name).display().to_string()];
    let source = data("source");
    folio(&["seed", "--dataset", "demo"], &source);
    let exported = dir.path().join("demo.ndjson");
    let exported_arg = exported.display().to_string();
    folio(&["events", "export", "--output", &exported_arg], &source);
    let original = std::fs::read_to_string(&exported).unwrap();
    let lines: Vec<Value> = original.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 100);
    assert_eq!(lines[0]["position"], 1);

    let database = infra::testing::TestDatabase::create().await;
    let postgres = vec!["--database-url".to_owned(), database.url.clone()];
    for target in [data("copy"), postgres] {
        let first = folio(&["events", "import", &exported_arg], &target);
        assert!(first.contains(&format!("imported {} events (0 already stored)", lines.len())), "{first}");
        let again = folio(&["events", "import", &exported_arg], &target);
        assert!(again.contains(&format!("imported 0 events ({} already stored)", lines.len())), "{again}");
        assert_eq!(folio(&["events", "export"], &target), original, "ids, versions, positions and times kept");

        let stats: Value = serde_json::from_str(&folio(&["events", "stats", "--json"], &target)).unwrap();
        assert_eq!(stats["total"], lines.len());
        let articles_created = lines.iter().filter(|l| l["event_type"] == "ContentCreated").count();
        assert_eq!(stats["by_type"]["ContentCreated"], articles_created);
        assert_eq!(
            stats["by_category"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
            lines.len() as u64
        );

        let stream = lines.iter().find(|l| l["event_type"] == "ContentPublished").unwrap()["stream_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let read = folio(&["events", "read", &stream], &target);
        let versions: Vec<u64> = read
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["stream_version"].as_u64().unwrap())
            .collect();
        assert!(versions.len() >= 2 && versions.windows(2).all(|w| w[1] == w[0] + 1), "{versions:?}");
        let tail = folio(&["events", "tail"], &target);
        assert_eq!(tail.lines().count(), 20, "the last 20 by default");
        let viewed = folio(&["events", "tail", "--from", "0", "--type", "ContentViewed"], &target);
        assert!(viewed.lines().count() > 0);
        assert!(viewed.lines().all(|l| l.contains("\"event_type\":\"ContentViewed\"")));
    }
    // zstd: by the output's name; the import recognises the format by its first bytes.
    let compressed = dir.path().join("demo.ndjson.zst");
    let compressed_arg = compressed.display().to_string();
    folio(&["events", "export", "--output", &compressed_arg], &source);
    let bytes = std::fs::read(&compressed).unwrap();
    assert_eq!(bytes[..4], [0x28, 0xB5, 0x2F, 0xFD], "a zstd frame");
    assert!(bytes.len() * 3 < original.len(), "{} compressed bytes for {}", bytes.len(), original.len());
    let zcopy = data("zcopy");
    let imported = folio(&["events", "import", &compressed_arg], &zcopy);
    assert!(imported.contains(&format!("imported {} events", lines.len())), "{imported}");
    assert_eq!(folio(&["events", "export"], &zcopy), original);

    // A malformed line stops the import with its number; the lines before it are in, and a
    // corrected file imports the rest without duplicating them.
    let broken = dir.path().join("broken.ndjson");
    let first_two: Vec<&str> = original.lines().take(2).collect();
    std::fs::write(&broken, format!("{}\n{{not json\n{}\n", first_two[0], first_two[1])).unwrap();
    let target = data("broken");
    let refused = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["events", "import", "--batch", "1"])
        .arg(&broken)
        .args(&target)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    std::fs::write(&broken, format!("{}\n{}\n", first_two[0], first_two[1])).unwrap();
    let fixed = folio(&["events", "import", &broken.display().to_string()], &target);
    assert!(fixed.contains("imported 1 events (1 already stored)"), "{fixed}");

    let refused = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["events", "read", "not a stream"])
        .args(&source)
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a malformed stream name is an error");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("stream"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    database.drop_now().await;
}

/// `folio replay`: counters damaged by hand are recomputed from the log; a second replay
/// changes nothing; bad arguments are refused before anything is touched.
#[tokio::test]
async fn replay_recomputes_damaged_rows_and_refuses_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folio = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_folio")).args(args).arg("--data-dir").arg(&data).output().unwrap()
    };
    assert!(folio(&["seed", "--dataset", "demo"]).status.success());
    serve_until_caught_up(&data).await;
    let read = sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("read.sqlite").display())).await.unwrap();
    let counters = || async {
        let rows: Vec<(Vec<u8>, i64, i64)> =
            sqlx::query_as("SELECT item_id, views, comments FROM item_counters ORDER BY item_id")
                .fetch_all(&read)
                .await
                .unwrap();
        rows
    };
    let good = counters().await;
    assert!(good.iter().any(|(_, views, _)| *views > 0), "the demo has views");
    sqlx::query("UPDATE item_counters SET views = views * 3 + 1, comments = 99").execute(&read).await.unwrap();
    assert_ne!(counters().await, good);

    for _ in 0..2 {
        let replayed = folio(&["replay", "--projection", "engagement", "--from", "1"]);
        let stdout = String::from_utf8_lossy(&replayed.stdout);
        assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
        assert!(stdout.contains("replayed engagement positions 1..="), "{stdout}");
        assert_eq!(counters().await, good, "recomputed, and never counted twice");
    }

    let unknown = folio(&["replay", "--projection", "nope", "--from", "1"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nope"), "names the projection");
    let zero = folio(&["replay", "--projection", "engagement", "--from", "0"]);
    assert!(!zero.status.success(), "positions start at 1");
    let missing = folio(&["replay", "--projection", "engagement"]);
    assert!(!missing.status.success(), "--from is required");
    let beyond = folio(&["replay", "--projection", "engagement", "--from", "999999999"]);
    assert!(beyond.status.success());
    assert!(String::from_utf8_lossy(&beyond.stdout).contains("nothing to replay"));
    assert_eq!(counters().await, good);
    read.close().await;
}
