use crate::support::TestApp;
use serde_json::json;

pub async fn an_admin_issues_a_key_that_works_and_revokes_it(app: &TestApp) {
    let created =
        app.send("POST", "/v1/keys", Some(&app.admin), Some(json!({"role": "editor", "label": "newsroom"}))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["role"], "editor");
    assert_eq!(created.body["label"], "newsroom");
    assert_eq!(created.body["version"], 1);
    let key = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();

    let stored = app.stream(&format!("apikey-{id}")).await;
    assert!(!stored[0].data.to_string().contains(key.rsplit('_').next().unwrap()), "the secret is not stored");

    assert_eq!(app.send("GET", "/v1/types/nothing", Some(&key), None).await.status, 404, "the new key authenticates");
    let revoked = app.send("DELETE", &format!("/v1/keys/{id}"), Some(&app.admin), None).await;
    assert_eq!(
        (revoked.status, revoked.body["revoked"].clone(), revoked.body["version"].clone()),
        (200, json!(true), json!(2))
    );
    app.send("GET", "/v1/types/nothing", Some(&key), None).await.problem(401, "invalid_credentials");
    app.send("DELETE", &format!("/v1/keys/{id}"), Some(&app.admin), None).await.problem(404, "unknown_key");
}

pub async fn bad_key_requests_are_refused_and_append_nothing(app: &TestApp) {
    let before = app.head().await;
    for (body, field) in [
        (json!({"role": "superuser"}), "role"),
        (json!({}), "role"),
        (json!({"role": "site", "scope": "all"}), "scope"),
        (json!({"role": "site", "label": 7}), "label"),
        (json!(["admin"]), "body"),
    ] {
        let reply = app.send("POST", "/v1/keys", Some(&app.admin), Some(body)).await;
        reply.problem(422, "validation_failed");
        assert_eq!(reply.body["field"], field);
    }
    app.send("DELETE", "/v1/keys/not-a-uuid", Some(&app.admin), None).await.problem(404, "unknown_key");
    app.send("DELETE", &format!("/v1/keys/{}", uuid::Uuid::now_v7()), Some(&app.admin), None)
        .await
        .problem(404, "unknown_key");
    assert_eq!(app.head().await, before);
}
