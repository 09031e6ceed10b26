use crate::support::TestApp;
use events::payloads::Role;
use serde_json::json;

pub async fn missing_malformed_unknown_and_revoked_keys_are_401(app: &TestApp) {
    app.send("GET", "/v1/types/article", None, None).await.problem(401, "missing_credentials");
    let raw = app.client.get(format!("{}/v1/types/article", app.url)).header("Authorization", "Basic abc");
    app.raw(raw).await.problem(401, "invalid_credentials");
    app.send("GET", "/v1/types/article", Some("not-a-key"), None).await.problem(401, "invalid_credentials");
    let unknown = format!("folio_{}_{}", uuid::Uuid::now_v7().simple(), "a".repeat(64));
    app.send("GET", "/v1/types/article", Some(&unknown), None).await.problem(401, "invalid_credentials");
    let (id, _) = command_api::keys::parse(&app.admin).unwrap();
    let wrong_secret = format!("folio_{}_{}", id.simple(), "b".repeat(64));
    app.send("GET", "/v1/types/article", Some(&wrong_secret), None).await.problem(401, "invalid_credentials");

    let editor = app.key(Role::Editor).await;
    let (editor_id, _) = command_api::keys::parse(&editor).unwrap();
    app.send("GET", "/v1/types/article", Some(&editor), None).await.problem(404, "unknown_type");
    let revoked = app.send("DELETE", &format!("/v1/keys/{editor_id}"), Some(&app.admin), None).await;
    assert_eq!(revoked.status, 200);
    app.send("GET", "/v1/types/article", Some(&editor), None).await.problem(401, "invalid_credentials");
}

pub async fn roles_other_than_admin_may_read_types_but_not_define_them(app: &TestApp) {
    let definition = json!({"fields": [{"name": "name", "kind": "string"}]});
    assert_eq!(app.send("PUT", "/v1/types/tag", Some(&app.admin), Some(definition.clone())).await.status, 201);
    for role in [Role::Editor, Role::Author, Role::Moderator, Role::Site] {
        let key = app.key(role).await;
        let before = app.head().await;
        let put = app.send("PUT", "/v1/types/tag", Some(&key), Some(definition.clone())).await;
        put.problem(403, "forbidden");
        assert_eq!(app.head().await, before, "a refused command appends nothing");
        app.send("POST", "/v1/keys", Some(&key), Some(json!({"role": "admin"}))).await.problem(403, "forbidden");
        app.send("DELETE", &format!("/v1/keys/{}", uuid::Uuid::now_v7()), Some(&key), None)
            .await
            .problem(403, "forbidden");
        let get = app.send("GET", "/v1/types/tag", Some(&key), None).await;
        assert_eq!(get.status, 200, "{role} may read a type");
    }
}
