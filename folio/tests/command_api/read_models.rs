//! End to end in one process, as `folio serve` runs: what the command API writes over HTTP
//! reaches the read models (documents, fan-out, comments, counters, user state, API keys).

use crate::support::TestApp;
use events::payloads::Role;
use serde_json::{json, Value};

async fn scenario(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    let author = json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"});
    let tag = json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"});
    let article = json!({"fields": [
        {"name": "title", "kind": "string", "required": true},
        {"name": "author", "kind": "reference", "target": "author", "filterable": true},
        {"name": "tags", "kind": "references", "target": "tag", "filterable": true}
    ], "slug_from": "title"});
    for (name, definition) in [("author", author), ("tag", tag), ("article", article)] {
        assert_eq!(app.send("PUT", &format!("/v1/types/{name}"), admin, Some(definition)).await.status, 201);
    }
    let editor = app.key(Role::Editor).await;
    let site = app.key(Role::Site).await;
    let create = |type_name: &'static str, fields: Value| {
        let editor = editor.clone();
        async move {
            let reply = app
                .send("POST", &format!("/v1/content/{type_name}"), Some(&editor), Some(json!({"fields": fields})))
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["id"].as_str().unwrap().to_owned()
        }
    };
    let ada = create("author", json!({"name": "Ada"})).await;
    let rust = create("tag", json!({"name": "rust"})).await;
    let post = create("article", json!({"title": "Hello", "author": ada, "tags": [rust]})).await;
    let path = format!("/v1/content/article/{post}");
    assert_eq!(app.send("POST", &format!("{path}/publish"), Some(&editor), None).await.status, 200);
    // Ten racing likes by one user count once; views by three users count three times.
    let likes_path = format!("{path}/likes");
    let likes: Vec<_> =
        (0..10).map(|_| app.send("POST", &likes_path, Some(&site), Some(json!({"user": "u1"})))).collect();
    futures_util::future::join_all(likes).await;
    for user in ["u1", "u2", "u3"] {
        app.send("POST", &format!("{path}/views"), Some(&site), Some(json!({"user": user}))).await;
    }
    let first =
        app.send("POST", &format!("{path}/comments"), Some(&site), Some(json!({"user": "u2", "body": "Nice"}))).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let reply = json!({"user": "u3", "body": "Agreed", "parent_id": first.body["id"]});
    assert_eq!(app.send("POST", &format!("{path}/comments"), Some(&site), Some(reply)).await.status, 201);
    crate::query::blog::revise(app, &editor, "author", &ada, 1, json!({"name": "Ada L."})).await;

    // A key issued and revoked over HTTP.
    let issued = app.send("POST", "/v1/keys", admin, Some(json!({"role": "moderator", "label": "mod"}))).await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let key_id = issued.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.send("DELETE", &format!("/v1/keys/{key_id}"), admin, None).await.status, 200);

    app.wait_for_projections(app.head().await).await;
    let read = app.read.as_ref().unwrap();
    let items = projectors::inspect::items(read).await.unwrap();
    let document = &items.as_array().unwrap().iter().find(|i| i["id"] == json!(post)).unwrap()["document"];
    assert_eq!(document["status"], "published");
    assert_eq!(document["author"]["name"], "Ada L.", "the rename reached the article: {document}");
    assert_eq!(document["tags"][0]["slug"], "rust");
    let counters = projectors::inspect::counters(read).await.unwrap();
    let counters = counters.as_array().unwrap().iter().find(|c| c["item"] == json!(post)).unwrap().clone();
    assert_eq!(
        (counters["likes"].clone(), counters["views"].clone(), counters["comments"].clone()),
        (json!(1), json!(3), json!(2)),
        "{counters}"
    );
    let comments = projectors::inspect::comments(read).await.unwrap();
    assert_eq!(comments[1]["parent"], first.body["id"], "the reply sits under its parent");
    assert_eq!(projectors::inspect::history(read, "u2").await.unwrap().len(), 1);
    let keys = projectors::inspect::api_keys(read).await.unwrap();
    let keys = keys.as_array().unwrap();
    let mut live: Vec<&str> =
        keys.iter().filter(|k| k["revoked"] == json!(false)).map(|k| k["role"].as_str().unwrap()).collect();
    live.sort_unstable();
    assert_eq!(live, ["admin", "editor", "site"], "{keys:?}");
    let revoked = keys.iter().find(|k| k["key"] == json!(key_id)).unwrap();
    assert_eq!(
        (&revoked["role"], &revoked["label"], &revoked["revoked"]),
        (&json!("moderator"), &json!("mod"), &json!(true))
    );
}

#[tokio::test]
async fn sqlite_command_api_writes_reach_the_read_models() {
    let app = TestApp::with_read_models(false).await;
    scenario(&app).await;
    app.cleanup().await;
}

#[tokio::test]
async fn postgres_command_api_writes_reach_the_read_models() {
    let app = TestApp::with_read_models(true).await;
    scenario(&app).await;
    app.cleanup().await;
}
