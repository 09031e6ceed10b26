use crate::engagement::articles;
use crate::support::TestApp;
use events::payloads::Role;
use serde_json::json;
use std::time::Duration;

async fn view_status(app: &TestApp, base: &str, article: &str, key: &str) -> u16 {
    let url = format!("{base}{article}/views");
    app.client.post(url).bearer_auth(key).json(&json!({"user": "ada"})).send().await.unwrap().status().as_u16()
}

/// Polls until `expected` or 10 s: another process learns of a change when its log tail sees it.
async fn eventually(app: &TestApp, base: &str, article: &str, key: &str, expected: u16) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = view_status(app, base, article, key).await;
        if status == expected || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn a_revoked_key_or_an_unpublished_item_is_never_served_from_a_stale_cache(app: &TestApp) {
    let (article, _) = articles(app).await;
    let editor = app.key(Role::Editor).await;
    let other = app.second_process();

    // Both processes have the key and the item cached after a first view.
    let site = app.send("POST", "/v1/keys", Some(&app.admin), Some(json!({"role": "site"}))).await;
    let (site, site_id) = (site.body["key"].as_str().unwrap().to_owned(), site.body["id"].as_str().unwrap().to_owned());
    assert_eq!(view_status(app, &app.url, &article, &site).await, 200);
    assert_eq!(view_status(app, &other, &article, &site).await, 200);

    // Unpublished here: refused here at once, and there as soon as its tail sees it.
    app.send("POST", &format!("{article}/unpublish"), Some(&editor), None).await;
    assert_eq!(view_status(app, &app.url, &article, &site).await, 409, "this process: the very next request");
    assert_eq!(eventually(app, &other, &article, &site, 409).await, 409, "the other process");

    // Published again, then the key revoked here.
    app.send("POST", &format!("{article}/publish"), Some(&editor), None).await;
    assert_eq!(eventually(app, &other, &article, &site, 200).await, 200);
    app.send("DELETE", &format!("/v1/keys/{site_id}"), Some(&app.admin), None).await;
    assert_eq!(view_status(app, &app.url, &article, &site).await, 401, "this process: the very next request");
    assert_eq!(eventually(app, &other, &article, &site, 401).await, 401, "the other process");
}
