//! `folio serve` as a user meets it: health and readiness over HTTP, on a random port.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Killed;
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
