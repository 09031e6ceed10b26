use crate::engagement::articles;
use crate::support::{Reply, TestApp};
use events::payloads::Role;
use serde_json::{json, Value};

async fn post(app: &TestApp, key: &str, path: &str, idempotency: &str, body: Value) -> Reply {
    let request = app
        .client
        .post(format!("{}{path}", app.url))
        .bearer_auth(key)
        .header("idempotency-key", idempotency)
        .json(&body);
    app.raw(request).await
}

pub async fn a_retried_post_answers_the_same_and_appends_nothing(app: &TestApp) {
    let (_, _) = articles(app).await;
    let editor = app.key(Role::Editor).await;
    let body = json!({"fields": {"title": "Once only"}});
    let first = post(app, &editor, "/v1/content/article", "create-1", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let head = app.head().await;
    let retry = post(app, &editor, "/v1/content/article", "create-1", body.clone()).await;
    assert_eq!((retry.status, &retry.body), (201, &first.body), "the original answer, version and position included");
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(app.head().await, head, "a retry appends nothing");

    let other = post(app, &editor, "/v1/content/article", "create-1", json!({"fields": {"title": "Another"}})).await;
    other.problem(422, "validation_failed");
    assert_eq!(other.body["errors"][0]["code"], "idempotency_key_reused");

    // Keys are per API key: another editor's "create-1" is its own request.
    let colleague = app.key(Role::Editor).await;
    let theirs = post(app, &colleague, "/v1/content/article", "create-1", body).await;
    theirs.problem(409, "slug_taken");

    // A replay answers what the first call answered, even after the item moved on.
    let path = format!("/v1/content/article/{}", first.body["id"].as_str().unwrap());
    let published = post(app, &editor, &format!("{path}/publish"), "publish-1", json!(null)).await;
    assert_eq!(published.body["status"], "published");
    app.send("POST", &format!("{path}/unpublish"), Some(&editor), None).await;
    let replayed = post(app, &editor, &format!("{path}/publish"), "publish-1", json!(null)).await;
    assert_eq!(replayed.body, published.body);
}

pub async fn concurrent_duplicates_append_once(app: &TestApp) {
    let (article, _) = articles(app).await;
    let site = app.key(Role::Site).await;
    let views = format!("{article}/views");
    let racers = (0..8).map(|_| post(app, &site, &views, "view-1", json!({"user": "ada"})));
    let replies = futures_util::future::join_all(racers).await;
    assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert!(replies.iter().all(|r| r.body == replies[0].body), "every duplicate gets the same answer");
    assert_eq!(app.stream("activity-ada").await.len(), 1, "one view, however many duplicates");

    let comment = json!({"user": "ada", "body": "Once"});
    let first = post(app, &site, &format!("{article}/comments"), "comment-1", comment.clone()).await;
    let again = post(app, &site, &format!("{article}/comments"), "comment-1", comment).await;
    assert_eq!((first.status, again.status, &again.body), (201, 201, &first.body));
}

pub async fn a_replayed_key_creation_never_shows_the_secret_again(app: &TestApp) {
    let first = post(app, &app.admin, "/v1/keys", "key-1", json!({"role": "site"})).await;
    assert_eq!(first.status, 201);
    let secret = first.body["key"].as_str().unwrap().to_owned();
    let retry = post(app, &app.admin, "/v1/keys", "key-1", json!({"role": "site"})).await;
    assert_eq!((retry.status, retry.body["id"].clone()), (201, first.body["id"].clone()));
    assert!(retry.body.get("key").is_none(), "the secret is shown once and never stored");
    let log = app.store.read_all(0, 10_000).await.unwrap();
    assert!(!serde_json::to_string(&log).unwrap().contains(secret.rsplit('_').next().unwrap()));

    let bad = app
        .client
        .post(format!("{}/v1/keys", app.url))
        .bearer_auth(&app.admin)
        .header("idempotency-key", "x".repeat(256));
    app.raw(bad.json(&json!({"role": "site"}))).await.problem(400, "invalid_idempotency_key");
}
