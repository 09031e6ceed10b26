//! Every role (and no key) against every command endpoint: who gets 401, who gets 403, and who
//! gets past authorization (any other answer: the request itself may still be refused, but not
//! for who sent it).

use crate::support::TestApp;
use events::payloads::Role;
use serde_json::json;

/// (method, path, body, roles allowed)
fn endpoints(item: &str, comment: &str) -> Vec<(&'static str, String, serde_json::Value, Vec<Role>)> {
    let user = json!({"user": "ada"});
    vec![
        ("PUT", "/v1/types/tag".into(), json!({"fields": [{"name": "name", "kind": "string"}]}), vec![Role::Admin]),
        ("GET", "/v1/types".into(), json!(null), Role::ALL.to_vec()),
        ("GET", "/v1/types/article".into(), json!(null), Role::ALL.to_vec()),
        ("POST", "/v1/keys".into(), json!({"role": "site"}), vec![Role::Admin]),
        ("DELETE", format!("/v1/keys/{}", uuid::Uuid::now_v7()), json!(null), vec![Role::Admin]),
        (
            "POST",
            "/v1/content/article".into(),
            json!({"fields": {"title": "Matrix"}}),
            vec![Role::Editor, Role::Author],
        ),
        ("PATCH", item.to_owned(), json!({"fields": {"title": "M"}}), vec![Role::Editor, Role::Author]),
        ("POST", format!("{item}/publish"), json!(null), vec![Role::Editor, Role::Author]),
        ("POST", format!("{item}/unpublish"), json!(null), vec![Role::Editor, Role::Author]),
        (
            "POST",
            format!("{item}/schedule"),
            json!({"publish_at": "2099-01-01T00:00:00Z"}),
            vec![Role::Editor, Role::Author],
        ),
        ("POST", format!("{item}/archive"), json!(null), vec![Role::Editor, Role::Author]),
        ("POST", format!("{item}/views"), user.clone(), vec![Role::Site]),
        ("POST", format!("{item}/shares"), user.clone(), vec![Role::Site]),
        ("POST", format!("{item}/likes"), user.clone(), vec![Role::Site]),
        ("DELETE", format!("{item}/likes"), user.clone(), vec![Role::Site]),
        ("POST", format!("{item}/bookmarks"), user.clone(), vec![Role::Site]),
        ("DELETE", format!("{item}/bookmarks"), user.clone(), vec![Role::Site]),
        ("POST", format!("{item}/comments"), json!({"user": "ada", "body": "hi"}), vec![Role::Site]),
        ("PATCH", format!("/v1/comments/{comment}"), json!({"user": "ada", "body": "hi"}), vec![Role::Site]),
        ("DELETE", format!("/v1/comments/{comment}"), json!({"user": "ada"}), vec![Role::Site, Role::Moderator]),
    ]
}

pub async fn every_role_against_every_endpoint(app: &TestApp) {
    let (published, _) = crate::engagement::articles(app).await;
    let site = app.key(Role::Site).await;
    let comment = app
        .send("POST", &format!("{published}/comments"), Some(&site), Some(json!({"user": "ada", "body": "x"})))
        .await;
    let comment = comment.body["id"].as_str().unwrap().to_owned();
    let mut keys = Vec::new();
    for role in Role::ALL {
        keys.push((role, app.key(role).await));
    }
    // The item is the author key's own, so ownership does not hide what the role allows.
    let author = &keys.iter().find(|(role, _)| *role == Role::Author).unwrap().1;
    let mine = app.send("POST", "/v1/content/article", Some(author), Some(json!({"fields": {"title": "Mine"}}))).await;
    let item = format!("/v1/content/article/{}", mine.body["id"].as_str().unwrap());
    assert_eq!(app.send("POST", &format!("{item}/publish"), Some(author), None).await.status, 200);
    for (method, path, body, allowed) in endpoints(&item, &comment) {
        let body = (!body.is_null()).then_some(body);
        app.send(method, &path, None, body.clone()).await.problem(401, "missing_credentials");
        for (role, key) in &keys {
            let reply = app.send(method, &path, Some(key), body.clone()).await;
            if allowed.contains(role) {
                assert!(
                    reply.status != 401 && reply.status != 403,
                    "{role} may {method} {path}, got {} {}",
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(
                    (reply.status, reply.body["code"].as_str()),
                    (403, Some("forbidden")),
                    "{role} {method} {path}"
                );
            }
        }
    }
}
