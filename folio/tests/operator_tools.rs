//! The operator tools as a user runs them: `folio projections status`, `folio events`,
//! `folio replay`, against a store `folio serve` projected.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::serve_until_caught_up;
use serde_json::Value;
use std::process::Command;

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
    // Into an empty PostgreSQL store, the whole file is one transaction; SQLite goes chunk by chunk.
    for (target, bulk) in [(data("copy"), ""), (postgres, " in one transaction into the empty store")] {
        let first = folio(&["events", "import", &exported_arg, "--batch", "50"], &target);
        assert!(first.contains(&format!("imported {} events (0 already stored){bulk}\n", lines.len())), "{first}");
        let again = folio(&["events", "import", &exported_arg], &target);
        assert!(again.contains(&format!("imported 0 events ({} already stored)\n", lines.len())), "{again}");
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
