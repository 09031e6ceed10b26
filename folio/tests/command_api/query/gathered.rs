//! Reads fired together answer exactly as each answers alone. On PostgreSQL the reads of one
//! statement that arrive while it runs are gathered into one statement (`query_api::gather`);
//! this checks every main shape that way, and that gathering did happen.

use super::blog::{self, ids};
use crate::support::TestApp;
use futures_util::future::join_all;
use serde_json::{json, Value};

/// The reads: every page of the newest list and of each tag, every detail by slug and by id, a
/// few users' history and state, a page of comments. Each with the key it needs.
async fn reads(app: &TestApp, blog: &blog::Blog) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let fields = "&fields=title,slug,views,tags";
    let mut lists = vec![format!("/v1/content/article?limit=3{fields}")];
    lists.extend(blog.tags.iter().map(|t| format!("/v1/content/article?limit=2&filter[tags]={t}{fields}")));
    for list in lists {
        // Every page, by the cursors a client would follow.
        let mut url = list.clone();
        loop {
            let reply = app.send("GET", &url, None, None).await;
            assert_eq!(reply.status, 200, "{url}: {}", reply.body);
            out.push((url.clone(), None));
            match reply.body["next"].as_str() {
                Some(cursor) => url = format!("{list}&after={cursor}"),
                None => break,
            }
        }
    }
    for (i, id) in blog.published.iter().enumerate() {
        out.push((format!("/v1/content/article/article-{i:02}"), None));
        out.push((format!("/v1/content/article/{id}"), None));
        out.push((format!("/v1/content/article/{id}/comments?limit=2"), None));
    }
    let items = blog.published.iter().take(6).cloned().collect::<Vec<_>>().join(",");
    for user in ["u1", "u2", "u3", "nobody"] {
        out.push((format!("/v1/users/{user}/history?limit=2"), Some(blog.site.clone())));
        out.push((format!("/v1/users/{user}/state?items={items}"), Some(blog.site.clone())));
    }
    out
}

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> (u16, Value) {
    let reply = app.send("GET", path, key, None).await;
    (reply.status, reply.body)
}

/// `folio_read_gathered_reads`' sum and count: reads answered by gathered statements, and
/// statements.
async fn gathered(app: &TestApp) -> (f64, f64) {
    let text = app.client.get(format!("{}/metrics", app.url)).send().await.unwrap().text().await.unwrap();
    let value = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse::<f64>().ok())).unwrap_or(0.0)
    };
    (value("folio_read_gathered_reads_sum"), value("folio_read_gathered_reads_count"))
}

pub async fn reads_fired_together_answer_as_each_alone(app: &TestApp) {
    let blog = blog::write(app, 9, 1).await;
    for (i, user) in ["u1", "u2", "u3"].iter().enumerate() {
        for id in blog.published.iter().skip(i).take(4) {
            let path = format!("/v1/content/article/{id}/views");
            let reply = app.send("POST", &path, Some(&blog.site), Some(json!({"user": user}))).await;
            assert!(reply.status < 300, "{}", reply.body);
        }
    }
    let reply = app
        .send(
            "POST",
            &format!("/v1/content/article/{}/comments", blog.published[0]),
            Some(&blog.site),
            Some(json!({"user": "u1", "body": "first"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    app.wait_for_projections(app.head().await).await;

    let reads = reads(app, &blog).await;
    // Alone, one after another.
    let mut alone = Vec::new();
    for (path, key) in &reads {
        let (status, body) = get(app, path, key.as_deref()).await;
        assert_eq!(status, 200, "{path}: {body}");
        alone.push(body);
    }
    assert!(ids(&alone[0]).len() == 3, "the newest page has three items: {}", alone[0]);
    let before = gathered(app).await;
    // Together: every read once, all at once (so a statement answering several reads had
    // different values to unnest), until PostgreSQL has gathered some.
    let dialect = folio::query::read_db(app.read.as_ref().unwrap()).dialect();
    for round in 0..20 {
        let together = join_all(reads.iter().map(|(path, key)| get(app, path, key.as_deref()))).await;
        for ((status, body), ((path, _), alone)) in together.into_iter().zip(reads.iter().zip(&alone)) {
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(&body, alone, "{path} answered differently when fired together");
        }
        if dialect == query_api::sql::Dialect::Sqlite {
            // SQLite runs in process: there is no round trip to save, nothing is gathered.
            return;
        }
        // More reads than statements: at least one statement answered several reads.
        let now = gathered(app).await;
        if now.0 - before.0 > now.1 - before.1 {
            return;
        }
        assert!(round < 19, "20 rounds of {} reads at once and no statement answered two", reads.len());
    }
}
