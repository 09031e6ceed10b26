use crate::support::{Reply, TestApp};
use events::payloads::Role;
use serde_json::json;

/// A published article and a draft, by an editor; returns their paths.
pub async fn articles(app: &TestApp) -> (String, String) {
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true}], "slug_from": "title"});
    app.send("PUT", "/v1/types/article", Some(&app.admin), Some(definition)).await;
    let editor = app.key(Role::Editor).await;
    let mut paths = Vec::new();
    for title in ["Published one", "Draft one"] {
        let created =
            app.send("POST", "/v1/content/article", Some(&editor), Some(json!({"fields": {"title": title}}))).await;
        paths.push(format!("/v1/content/article/{}", created.body["id"].as_str().unwrap()));
    }
    assert_eq!(app.send("POST", &format!("{}/publish", paths[0]), Some(&editor), None).await.status, 200);
    (paths[0].clone(), paths[1].clone())
}

async fn post(app: &TestApp, key: &str, path: &str, body: serde_json::Value) -> Reply {
    app.send("POST", path, Some(key), Some(body)).await
}

pub async fn views_and_shares_go_to_the_users_activity_stream(app: &TestApp) {
    let (article, _) = articles(app).await;
    let site = app.key(Role::Site).await;
    for _ in 0..3 {
        let viewed = post(app, &site, &format!("{article}/views"), json!({"user": "42"})).await;
        assert_eq!(viewed.status, 200, "{}", viewed.body);
    }
    let shared = post(app, &site, &format!("{article}/shares"), json!({"user": "42", "channel": "email"})).await;
    assert_eq!((shared.status, shared.body["version"].clone()), (200, json!(4)));
    assert_eq!(shared.body["position"].as_u64(), Some(app.head().await));
    let kinds: Vec<String> = app.stream("activity-42").await.into_iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, ["ContentViewed", "ContentViewed", "ContentViewed", "ContentShared"]);
}

pub async fn liking_twice_or_unliking_what_was_never_liked_changes_nothing(app: &TestApp) {
    let (article, _) = articles(app).await;
    let site = app.key(Role::Site).await;
    let likes = format!("{article}/likes");
    let first = post(app, &site, &likes, json!({"user": "ada"})).await;
    assert_eq!((first.body["liked"].clone(), first.body["changed"].clone()), (json!(true), json!(true)));
    let head = app.head().await;
    let second = post(app, &site, &likes, json!({"user": "ada"})).await;
    assert_eq!((second.body["changed"].clone(), second.body["version"].clone()), (json!(false), json!(1)));
    assert_eq!(app.head().await, head);

    let never = app.send("DELETE", &likes, Some(&site), Some(json!({"user": "bob"}))).await;
    assert_eq!((never.status, never.body["changed"].clone()), (200, json!(false)));
    let unliked = app.send("DELETE", &likes, Some(&site), Some(json!({"user": "ada"}))).await;
    assert_eq!((unliked.body["liked"].clone(), unliked.body["changed"].clone()), (json!(false), json!(true)));

    let bookmarked = post(app, &site, &format!("{article}/bookmarks"), json!({"user": "ada"})).await;
    assert_eq!((bookmarked.body["bookmarked"].clone(), bookmarked.body["version"].clone()), (json!(true), json!(3)));
}

pub async fn concurrent_likes_by_one_user_count_once(app: &TestApp) {
    let (article, _) = articles(app).await;
    let site = app.key(Role::Site).await;
    let likes = format!("{article}/likes");
    let racers = (0..8).map(|_| post(app, &site, &likes, json!({"user": "ada"})));
    let replies = futures_util::future::join_all(racers).await;
    assert!(replies.iter().all(|r| r.status == 200), "every racer gets an answer");
    assert_eq!(replies.iter().filter(|r| r.body["changed"] == json!(true)).count(), 1);
    let id = article.rsplit('/').next().unwrap();
    let stored = app.stream(&format!("engagement-{id}:ada")).await;
    assert_eq!(stored.len(), 1, "one ContentLiked, however many concurrent likes");
}

pub async fn engagement_needs_a_site_key_a_user_and_a_published_item(app: &TestApp) {
    let (article, draft) = articles(app).await;
    let site = app.key(Role::Site).await;
    let before = app.head().await;
    for role in [Role::Admin, Role::Editor, Role::Author, Role::Moderator] {
        let key = app.key(role).await;
        post(app, &key, &format!("{article}/views"), json!({"user": "42"})).await.problem(403, "forbidden");
    }
    let before = before + 4; // the four keys above
    post(app, &site, &format!("{draft}/views"), json!({"user": "42"})).await.problem(409, "not_published");
    for (body, field, code) in [
        (json!({}), "user", "invalid_user"),
        (json!({"user": "has space"}), "user", "invalid_user"),
        (json!({"user": "42", "extra": 1}), "extra", "unknown_member"),
    ] {
        let reply = post(app, &site, &format!("{article}/likes"), body).await;
        reply.problem(422, "validation_failed");
        assert_eq!((reply.body["field"].as_str(), reply.body["errors"][0]["code"].as_str()), (Some(field), Some(code)));
    }
    let bad_channel = post(app, &site, &format!("{article}/shares"), json!({"user": "42", "channel": ""})).await;
    bad_channel.problem(422, "validation_failed");
    let unknown = format!("/v1/content/article/{}/views", uuid::Uuid::now_v7());
    post(app, &site, &unknown, json!({"user": "42"})).await.problem(404, "unknown_content");
    assert_eq!(app.head().await, before, "nothing was appended");
}
