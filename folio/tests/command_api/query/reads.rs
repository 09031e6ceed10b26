//! Detail, comments, a user's history and state; who may read what.

use super::blog;
use crate::support::TestApp;
use events::payloads::Role;
use serde_json::json;

pub async fn detail_by_id_or_slug_carries_counters_and_respects_the_audience(app: &TestApp) {
    let blog = blog::write(app, 3, 1).await;
    let id = &blog.published[1];
    for user in ["u1", "u2"] {
        blog::engage(app, &blog.site, id, "views", user).await;
    }
    let min = blog::engage(app, &blog.site, id, "likes", "u1").await.to_string();
    let by_id = app
        .raw(app.client.get(format!("{}/v1/content/article/{id}", app.url)).header("Folio-Min-Position", &min))
        .await;
    assert_eq!(by_id.status, 200, "{}", by_id.body);
    let data = &by_id.body["data"];
    assert_eq!((data["id"].as_str(), data["slug"].as_str()), (Some(id.as_str()), Some("article-01")));
    assert_eq!((data["views"].as_i64(), data["likes"].as_i64(), data["shares"].as_i64()), (Some(2), Some(1), Some(0)));
    let by_slug = app.send("GET", "/v1/content/article/article-01", None, None).await;
    assert_eq!(by_slug.body, by_id.body, "by slug, the same document");
    let picked = app.send("GET", "/v1/content/article/article-01?fields=title,likes", None, None).await;
    assert_eq!(picked.body, json!({"data": {"id": id, "title": "Article 01", "likes": 1}}));

    let draft = &blog.drafts[0];
    app.send("GET", &format!("/v1/content/article/{draft}"), None, None).await.problem(404, "not_found");
    let seen = app.send("GET", &format!("/v1/content/article/{draft}"), Some(&blog.editor), None).await;
    assert_eq!(seen.body["data"]["status"], "draft", "editors see drafts");
    app.send("GET", "/v1/content/article/no-such-slug", None, None).await.problem(404, "not_found");
    app.send("GET", &format!("/v1/content/tag/{id}"), None, None).await.problem(404, "not_found");
}

/// `Folio-Min-Position` covers everything a read looks up, not only its rows: a key issued, a
/// type defined or revised just before the read is known to it.
pub async fn a_key_and_a_type_written_just_before_a_read_are_known_to_it(app: &TestApp) {
    let get = |path: String, key: String, min: u64| async move {
        app.raw(
            app.client.get(format!("{}{path}", app.url)).bearer_auth(key).header("Folio-Min-Position", min.to_string()),
        )
        .await
    };
    let editor = app.key(Role::Editor).await;
    let definition = json!({"fields": [{"name": "title", "kind": "string"}]});
    let defined = app.send("PUT", "/v1/types/note", Some(&app.admin), Some(definition)).await;
    assert_eq!(defined.status, 201, "{}", defined.body);
    let fresh = app.send("POST", "/v1/keys", Some(&app.admin), Some(json!({"role": "editor"}))).await;
    assert_eq!(fresh.status, 201, "{}", fresh.body);
    let fresh_key = fresh.body["key"].as_str().unwrap().to_owned();
    let list = get("/v1/content/note".into(), fresh_key, app.head().await).await;
    assert_eq!((list.status, list.body["data"].clone()), (200, json!([])), "{}", list.body);

    // The definition is now remembered; a revision that adds a sortable field is known to the
    // next read that asks for its position, notice applied or not.
    let revised =
        json!({"fields": [{"name": "title", "kind": "string"}, {"name": "rank", "kind": "integer", "sortable": true}]});
    let put = app.send("PUT", "/v1/types/note", Some(&app.admin), Some(revised)).await;
    assert_eq!(put.status, 200, "{}", put.body);
    let sorted = get("/v1/content/note?sort=rank".into(), editor, app.head().await).await;
    assert_eq!(sorted.status, 200, "{}", sorted.body);
}

pub async fn comments_come_threaded_and_paged(app: &TestApp) {
    let blog = blog::write(app, 1, 1).await;
    let path = format!("/v1/content/article/{}/comments", blog.published[0]);
    let post = |user: &'static str, body: &'static str, parent: Option<String>| {
        let path = path.clone();
        let site = blog.site.clone();
        async move {
            let mut comment = json!({"user": user, "body": body});
            if let Some(parent) = parent {
                comment["parent_id"] = json!(parent);
            }
            let reply = app.send("POST", &path, Some(&site), Some(comment)).await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["id"].as_str().unwrap().to_owned()
        }
    };
    let first = post("u1", "first", None).await;
    let second = post("u2", "second", None).await;
    let reply = post("u3", "reply to first", Some(first.clone())).await;
    let deeper = post("u1", "reply to reply", Some(reply.clone())).await;
    let removed = post("u4", "to be removed", Some(second.clone())).await;
    let gone =
        app.send("DELETE", &format!("/v1/comments/{removed}"), Some(&blog.site), Some(json!({"user": "u4"}))).await;
    assert!(gone.status < 300, "{}", gone.body);
    app.wait_for_projections(app.head().await).await;

    let page = app.send("GET", &format!("{path}?limit=3"), None, None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let ids: Vec<&str> = page.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![first.as_str(), reply.as_str(), deeper.as_str()], "depth first, oldest thread first");
    assert_eq!(page.body["data"][2]["depth"], 2);
    assert_eq!(page.body["data"][2]["parent"], json!(reply));
    assert_eq!(page.body["data"][1]["author"], "u3");
    let cursor = page.body["next"].as_str().unwrap();
    let rest = app.send("GET", &format!("{path}?limit=3&after={cursor}"), None, None).await;
    let rest_ids: Vec<&str> = rest.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(rest_ids, vec![second.as_str()], "the removed reply is hidden");
    assert!(rest.body["next"].is_null());
    let draft_comments = format!("/v1/content/article/{}/comments", blog.drafts[0]);
    app.send("GET", &draft_comments, None, None).await.problem(404, "not_found");
    app.send("GET", &format!("{path}?after=forged"), None, None).await.problem(400, "malformed_cursor");
}

pub async fn a_users_history_and_state_are_for_sites_and_staff(app: &TestApp) {
    let blog = blog::write(app, 5, 0).await;
    let view = |i: usize, user: &'static str| {
        let path = format!("/v1/content/article/{}/views", blog.published[i]);
        let site = blog.site.clone();
        async move { app.send("POST", &path, Some(&site), Some(json!({"user": user}))).await }
    };
    for i in [0, 3, 1, 3, 4] {
        view(i, "reader").await;
    }
    view(2, "someone-else").await;
    let bookmark = format!("/v1/content/article/{}/bookmarks", blog.published[1]);
    let last = app.send("POST", &bookmark, Some(&blog.site), Some(json!({"user": "reader"}))).await;
    let min = last.body["position"].as_u64().unwrap().to_string();

    let history = app
        .raw(
            app.client
                .get(format!("{}/v1/users/reader/history?limit=2", app.url))
                .bearer_auth(&blog.site)
                .header("Folio-Min-Position", &min),
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let items = |body: &serde_json::Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|h| h["item"]["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        items(&history.body),
        vec![blog.published[4].clone(), blog.published[3].clone()],
        "most recent view first"
    );
    assert_eq!(history.body["data"][1]["views"], 2);
    assert_eq!(history.body["data"][1]["item"]["title"], "Article 03");
    let cursor = history.body["next"].as_str().unwrap();
    let rest =
        app.send("GET", &format!("/v1/users/reader/history?limit=2&after={cursor}"), Some(&blog.site), None).await;
    assert_eq!(items(&rest.body), vec![blog.published[1].clone(), blog.published[0].clone()]);
    assert_eq!(rest.body["data"][0]["bookmarked"], true);

    let asked = format!("{},{},{}", blog.published[1], blog.published[2], blog.published[3]);
    let state = app.send("GET", &format!("/v1/users/reader/state?items={asked}"), Some(&blog.site), None).await;
    assert_eq!(state.status, 200, "{}", state.body);
    let data = &state.body["data"];
    assert_eq!(
        (data[&blog.published[1]]["viewed"].clone(), data[&blog.published[1]]["bookmarked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(data[&blog.published[2]]["viewed"], false, "someone else viewed it, not this user");
    assert_eq!(data[&blog.published[3]]["views"], 2);

    app.send("GET", "/v1/users/reader/history", None, None).await.problem(401, "missing_credentials");
    // Keys reach the query API through the keys projection.
    let author = app.key(Role::Author).await;
    app.wait_for_projections(app.head().await).await;
    app.send("GET", "/v1/users/reader/history", Some(&author), None).await.problem(403, "forbidden");
    app.send("GET", "/v1/users/reader/state?items=x", Some(&blog.site), None).await.problem(400, "invalid_value");
    app.send("GET", "/v1/users/reader/state", Some(&blog.site), None).await.problem(400, "missing_items");
    // The most a call may ask (on SQLite one lookup per item, joined: the statement's largest form).
    let mut most: Vec<String> = (0..99).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    most.push(blog.published[3].clone());
    let state =
        app.send("GET", &format!("/v1/users/reader/state?items={}", most.join(",")), Some(&blog.site), None).await;
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body["data"].as_object().map(|d| d.len()), Some(100));
    assert_eq!(state.body["data"][&blog.published[3]]["views"], 2);
    assert_eq!(state.body["data"][&most[0]]["viewed"], false);
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    app.send("GET", &format!("/v1/users/reader/state?items={}", many.join(",")), Some(&blog.site), None)
        .await
        .problem(400, "too_many_values");
    let bogus = "folio_0123456789abcdef0123456789abcdef_".to_owned() + &"0".repeat(64);
    app.send("GET", "/v1/users/reader/history", Some(&bogus), None).await.problem(401, "invalid_credentials");
}

pub async fn readyz_reports_the_read_models_and_fails_while_a_projection_is_halted(app: &TestApp) {
    let ready = app.send("GET", "/readyz", None, None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body["event_store"]["head"].is_u64());
    assert!(ready.body["read_models"]["positions"].is_object(), "{}", ready.body);
    // A runner records itself running as it starts: halting before that would be undone.
    app.wait_for_runners_to_start().await;
    let read = app.read.as_ref().unwrap();
    read.set_state("comments", "halted").await.unwrap();
    let halted = app.send("GET", "/readyz", None, None).await;
    halted.problem(503, "not_ready");
    assert!(halted.body["detail"].as_str().unwrap().contains("comments"), "{}", halted.body);
    read.set_state("comments", "running").await.unwrap();
    assert_eq!(app.send("GET", "/readyz", None, None).await.status, 200);
}

pub async fn metrics_show_route_latency_appends_lag_and_the_cache(app: &TestApp) {
    let blog = blog::write(app, 2, 0).await;
    app.send("GET", "/v1/content/article?limit=1", None, None).await;
    app.send("GET", "/v1/content/article?limit=1", None, None).await;
    app.send("GET", &format!("/v1/content/article/{}", blog.published[0]), None, None).await;
    let response = app.client.get(format!("{}/metrics", app.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        "folio_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/content/{type}\",status=\"200\"",
        "folio_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/content/{type}\",status=\"201\"}",
        "folio_appended_events_total",
        "folio_group_commit_events_bucket",
        "folio_projection_lag_events{projection=\"content\"}",
        "folio_projection_lag_seconds{projection=\"engagement\"}",
        "folio_query_cache_hits_total",
        "folio_event_store_head",
        "folio_read_db_wait_seconds_count",
        "folio_read_db_query_seconds_bucket",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

/// Runs the `folio` binary with `args` and the app's store arguments, as an operator would.
async fn folio_binary(app: &TestApp, mut args: Vec<String>) -> std::process::Output {
    args.extend(app.store_args());
    tokio::task::spawn_blocking(move || std::process::Command::new(env!("CARGO_BIN_EXE_folio")).args(args).output())
        .await
        .unwrap()
        .unwrap()
}

/// `folio projections rebuild` (the binary, as an operator runs it) while the app serves reads
/// in a loop: not one read fails, and afterwards the answers are the same.
pub async fn the_query_api_serves_without_errors_throughout_a_rebuild(app: &TestApp) {
    let blog = blog::write(app, 12, 2).await;
    for (i, id) in blog.published.iter().enumerate() {
        let path = format!("/v1/content/article/{id}/views");
        app.send("POST", &path, Some(&blog.site), Some(json!({"user": format!("u{}", i % 3)}))).await;
    }
    app.wait_for_projections(app.head().await).await;
    let paths = [
        "/v1/content/article?limit=5&fields=title,views".to_owned(),
        format!("/v1/content/article?filter[tags]={}", blog.tags[1]),
        format!("/v1/content/article/{}", blog.published[3]),
        // Full text: SQLite's switch copies the FTS5 index under these reads.
        "/v1/content/article?q=borrowing&fields=title".to_owned(),
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(app.send("GET", path, None, None).await.body);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (client, url, paths, stop) = (app.client.clone(), app.url.clone(), paths.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut reads, mut errors) = (0u64, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for path in &paths {
                    let response = client.get(format!("{url}{path}")).send().await.unwrap();
                    reads += 1;
                    if response.status() != 200 {
                        errors.push(format!("{path}: {} {}", response.status(), response.text().await.unwrap()));
                    }
                }
            }
            (reads, errors)
        })
    };
    // One projection alone, then three together on one shared read of the log.
    for projections in [&["content"][..], &["engagement", "comments", "keys"][..]] {
        let mut args: Vec<String> = ["projections", "rebuild"].iter().map(|a| (*a).to_owned()).collect();
        args.extend(projections.iter().map(|p| (*p).to_owned()));
        args.extend(["--drop-old", "--batch", "7"].map(str::to_owned));
        let output = folio_binary(app, args).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{projections:?}: {stdout} {}", String::from_utf8_lossy(&output.stderr));
        for projection in projections {
            assert!(stdout.contains(&format!("rebuilt {projection} to position")), "{stdout}");
        }
        // The default priority is low: the rebuild yields the CPU to the app serving reads, and
        // on a machine of two CPUs or more leaves one to it.
        let many_cpus = infra::priority::Lowering::yielding_one_cpu().cpus.is_some();
        let low = if many_cpus {
            "(nice 19, one CPU left to the site)"
        } else {
            "(nice 19; no CPU set aside for the site: a single CPU, or its CPUs unknown)"
        };
        assert!(stdout.contains(&format!("ran at low CPU priority {low}: this process")), "{stdout}");
        if app.store_args().contains(&"--database-url".to_owned()) {
            let line = stdout.lines().find(|l| l.contains("low CPU priority")).unwrap_or_default();
            let root = std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
            // Root may renice any process; another user is told why its backends were left.
            let expected = if root { "PostgreSQL backends" } else { "left as they were" };
            assert!(line.contains(expected) && (!root || !line.contains("left as")), "{line}");
        }
    }
    // A rebuild of engagement is running (its lock is held): a rebuild of content and
    // engagement is refused before it opens either, so content is left as it was (its state
    // stays `running`, checked below).
    let held = projectors::rebuild::lock::acquire(app.read.as_ref().unwrap(), "engagement").await.unwrap();
    let rebuild = ["projections", "rebuild", "content", "engagement", "--restart", "--drop-old"];
    let refused = folio_binary(app, rebuild.map(str::to_owned).to_vec()).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "refused: {stderr}");
    assert!(stderr.contains("a rebuild of engagement is already running"), "{stderr}");
    drop(held);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (reads, errors) = reader.await.unwrap();
    assert!(reads > 10, "the reader kept reading: {reads}");
    assert!(errors.is_empty(), "{} failed reads of {reads}: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    // The live projectors follow the switched checkpoints; the answers are what they were.
    let status = folio_binary(app, ["projections", "status", "--json"].map(str::to_owned).to_vec()).await;
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(rows.as_array().unwrap().iter().all(|r| r["state"] == "running"), "{rows}");
    app.wait_for_projections(app.head().await).await;
    for (path, old) in paths.iter().zip(&before) {
        assert_eq!(&app.send("GET", path, None, None).await.body, old, "{path}");
    }
}

/// PostgreSQL ends the query API's connections (an operator's `pg_terminate_backend`, a
/// failover): the reads after it still answer 200 with the same bodies, on new connections.
pub async fn reads_go_on_when_their_connections_are_cut(app: &TestApp) {
    let Some(projectors::ReadStore::Postgres(pool)) = &app.read else { panic!("a PostgreSQL app") };
    blog::write(app, 3, 0).await;
    // Three articles: any limit from 3 up answers the same body. Each limit is asked once, so no
    // read is answered from the response cache: every one goes to the database.
    let read =
        |limit: usize| async move { app.send("GET", &format!("/v1/content/article?limit={limit}"), None, None).await };
    let before = read(100).await.body;
    let reads = |limits: std::ops::Range<usize>| futures_util::future::join_all(limits.map(read));
    for reply in reads(10..26).await {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, before);
    }
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'folio query' AND datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(cut >= 1, "the query API's connections are named 'folio query'");
    for reply in reads(30..46).await {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body, before);
    }
}
