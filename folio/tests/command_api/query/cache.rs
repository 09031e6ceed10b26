//! The response cache serves repeats, revalidates with ETags, and never serves a change stale
//! once its notice arrived.

use super::blog;
use crate::support::TestApp;
use serde_json::json;

/// Waits until this app's query cache has applied every notice up to the head (reads until one
/// with `Folio-Min-Position` is answered without bypassing the cache), so no late notice of the
/// setup drops what the test caches next.
async fn settled(app: &TestApp) {
    let head = app.head().await.to_string();
    for _ in 0..500 {
        let probe = app
            .raw(app.client.get(format!("{}/v1/content/article?limit=2", app.url)).header("Folio-Min-Position", &head))
            .await;
        if probe.headers["folio-cache"] != "bypass" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the query cache never caught up with the notices");
}

pub async fn a_change_is_never_served_stale_after_its_notice(app: &TestApp) {
    let blog = blog::write(app, 3, 0).await;
    let id = blog.published[2].clone();
    let list = "/v1/content/article?limit=5";
    let detail = format!("/v1/content/article/{id}");
    settled(app).await;
    let first = app.send("GET", list, None, None).await;
    assert_eq!(first.headers["folio-cache"], "miss");
    let again = app.send("GET", list, None, None).await;
    assert_eq!(again.headers["folio-cache"], "hit", "a repeat is served from the cache");
    assert_eq!(again.body, first.body);
    assert_eq!(first.headers["cache-control"], "public, max-age=0");
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    let revalidated = app.raw(app.client.get(format!("{}{list}", app.url)).header("If-None-Match", &etag)).await;
    assert_eq!(revalidated.status, 304);
    app.send("GET", &detail, None, None).await;
    app.send("GET", &format!("/v1/content/article/{}", blog.published[0]), None, None).await;

    // Rename the newest article; once its notice is applied neither the list nor the detail
    // may come from the cache with the old title.
    let min = blog::revise(app, &blog.editor, "article", &id, 2, json!({"title": "Renamed"})).await.to_string();
    let fresh = app.raw(app.client.get(format!("{}{list}", app.url)).header("Folio-Min-Position", &min)).await;
    assert_eq!(fresh.body["data"][0]["title"], "Renamed", "{}", fresh.body);
    let fresh_detail = app.raw(app.client.get(format!("{}{detail}", app.url)).header("Folio-Min-Position", &min)).await;
    assert_eq!(fresh_detail.body["data"]["title"], "Renamed", "notice applied: the detail is not stale");
    let stale_tag = app.raw(app.client.get(format!("{}{list}", app.url)).header("If-None-Match", &etag)).await;
    assert_eq!(stale_tag.status, 200, "the old ETag no longer matches");
    assert_eq!(
        app.send("GET", &format!("/v1/content/article/{}", blog.published[0]), None, None).await.headers["folio-cache"],
        "hit",
        "untouched entries stay"
    );

    // A view changes counters only: the detail's counters follow.
    let view = app.send("POST", &format!("{detail}/views"), Some(&blog.site), Some(json!({"user": "u"}))).await;
    let min = view.body["position"].as_u64().unwrap().to_string();
    let counted = app.raw(app.client.get(format!("{}{detail}", app.url)).header("Folio-Min-Position", &min)).await;
    assert_eq!(counted.body["data"]["views"], 1);
    // Keyed reads are private.
    let keyed = app.send("GET", list, Some(&blog.editor), None).await;
    assert_eq!(keyed.headers["cache-control"], "private, no-cache");
}
