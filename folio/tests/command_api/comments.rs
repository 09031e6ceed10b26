use crate::engagement::articles;
use crate::support::TestApp;
use events::payloads::Role;
use serde_json::json;

pub async fn users_post_reply_edit_and_remove_comments(app: &TestApp) {
    let (article, draft) = articles(app).await;
    let site = app.key(Role::Site).await;
    let comments = format!("{article}/comments");
    let root = app.send("POST", &comments, Some(&site), Some(json!({"user": "ada", "body": "Lovely piece"}))).await;
    assert_eq!((root.status, root.body["version"].clone()), (201, json!(1)), "{}", root.body);
    let root_id = root.body["id"].as_str().unwrap().to_owned();
    let reply = app
        .send("POST", &comments, Some(&site), Some(json!({"user": "bob", "body": "Agreed", "parent_id": root_id})))
        .await;
    assert_eq!(reply.status, 201);
    let reply_id = reply.body["id"].as_str().unwrap().to_owned();
    let nested = app
        .send("POST", &comments, Some(&site), Some(json!({"user": "ada", "body": "Thanks", "parent_id": reply_id})))
        .await;
    assert_eq!(nested.status, 201, "threads nest to any depth");

    let path = format!("/v1/comments/{root_id}");
    app.send("PATCH", &path, Some(&site), Some(json!({"user": "bob", "body": "hijack"})))
        .await
        .problem(403, "not_author");
    let edited = app.send("PATCH", &path, Some(&site), Some(json!({"user": "ada", "body": "Lovely piece!"}))).await;
    assert_eq!((edited.status, edited.body["version"].clone()), (200, json!(2)));

    app.send("DELETE", &path, Some(&site), Some(json!({"user": "bob"}))).await.problem(403, "not_author");
    let moderator = app.key(Role::Moderator).await;
    let removed = app
        .send("DELETE", &format!("/v1/comments/{reply_id}"), Some(&moderator), Some(json!({"reason": "off topic"})))
        .await;
    assert_eq!((removed.status, removed.body["version"].clone()), (200, json!(2)));
    let by_author = app.send("DELETE", &path, Some(&site), Some(json!({"user": "ada"}))).await;
    assert_eq!(by_author.status, 200);
    let again = app.send("DELETE", &path, Some(&moderator), None).await;
    assert_eq!((again.status, again.body["version"].clone()), (200, json!(3)), "removing twice appends nothing");
    app.send("PATCH", &path, Some(&site), Some(json!({"user": "ada", "body": "back"})))
        .await
        .problem(409, "comment_removed");
    let orphan =
        app.send("POST", &comments, Some(&site), Some(json!({"user": "ada", "body": "x", "parent_id": root_id}))).await;
    orphan.problem(422, "validation_failed");
    assert_eq!(orphan.body["errors"][0]["code"], "unknown_parent");

    app.send("POST", &format!("{draft}/comments"), Some(&site), Some(json!({"user": "ada", "body": "early"})))
        .await
        .problem(409, "not_published");
}

pub async fn bad_comments_are_refused_and_append_nothing(app: &TestApp) {
    let (article, _) = articles(app).await;
    let site = app.key(Role::Site).await;
    let editor = app.key(Role::Editor).await;
    let before = app.head().await;
    let comments = format!("{article}/comments");
    app.send("POST", &comments, Some(&editor), Some(json!({"user": "ada", "body": "x"})))
        .await
        .problem(403, "forbidden");
    for (body, field, code) in [
        (json!({"user": "ada"}), "body", "required"),
        (json!({"user": "ada", "body": "   "}), "body", "empty_body"),
        (json!({"user": "ada", "body": "x".repeat(10_001)}), "body", "too_long"),
        (json!({"body": "x"}), "user", "invalid_user"),
        (json!({"user": "ada", "body": "x", "rating": 5}), "rating", "unknown_member"),
        (json!({"user": "ada", "body": "x", "parent_id": "nope"}), "parent_id", "unknown_parent"),
    ] {
        let reply = app.send("POST", &comments, Some(&site), Some(body)).await;
        reply.problem(422, "validation_failed");
        assert_eq!((reply.body["field"].as_str(), reply.body["errors"][0]["code"].as_str()), (Some(field), Some(code)));
    }
    let unknown = format!("/v1/comments/{}", uuid::Uuid::now_v7());
    app.send("PATCH", &unknown, Some(&site), Some(json!({"user": "ada", "body": "x"})))
        .await
        .problem(404, "unknown_comment");
    let raw = app.client.delete(format!("{}{unknown}", app.url)).bearer_auth(&site).body("{oops");
    app.raw(raw).await.problem(400, "malformed_json");
    assert_eq!(app.head().await, before, "nothing was appended");
}
