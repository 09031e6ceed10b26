use crate::support::TestApp;
use serde_json::{json, Value};

fn article() -> Value {
    json!({
        "fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 200},
            {"name": "author", "kind": "reference", "target": "author", "filterable": true},
            {"name": "published_on", "kind": "datetime", "sortable": true}
        ],
        "slug_from": "title"
    })
}

async fn define_author(app: &TestApp) {
    let author = json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"});
    assert_eq!(app.send("PUT", "/v1/types/author", Some(&app.admin), Some(author)).await.status, 201);
}

pub async fn a_type_is_defined_read_and_put_again_idempotently(app: &TestApp) {
    define_author(app).await;
    let created = app.send("PUT", "/v1/types/article", Some(&app.admin), Some(article())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["type"], "article");
    assert_eq!(created.body["version"], 1);
    let position = created.body["position"].as_u64().unwrap();
    assert_eq!(position, app.head().await);

    let read = app.send("GET", "/v1/types/article", Some(&app.admin), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["version"], 1);
    assert_eq!(read.body["definition"]["fields"][1]["target"], "author");
    assert_eq!(read.body["definition"]["fields"][0]["max_length"], 200);

    let again = app.send("PUT", "/v1/types/article", Some(&app.admin), Some(article())).await;
    assert_eq!(
        (again.status, again.body["version"].clone(), again.body["position"].clone()),
        (200, json!(1), json!(position))
    );
    assert_eq!(app.head().await, position, "an unchanged definition appends nothing");
}

pub async fn compatible_revisions_bump_the_version_incompatible_ones_append_nothing(app: &TestApp) {
    define_author(app).await;
    app.send("PUT", "/v1/types/article", Some(&app.admin), Some(article())).await;
    let mut revised = article();
    revised["fields"][0]["max_length"] = json!(500);
    revised["fields"].as_array_mut().unwrap().push(json!({"name": "summary", "kind": "text"}));
    let reply = app.send("PUT", "/v1/types/article", Some(&app.admin), Some(revised.clone())).await;
    assert_eq!((reply.status, reply.body["version"].clone()), (200, json!(2)), "{}", reply.body);

    let before = app.head().await;
    let mut incompatible = revised.clone();
    incompatible["fields"].as_array_mut().unwrap().remove(2);
    incompatible["fields"][0]["max_length"] = json!(10);
    let reply = app.send("PUT", "/v1/types/article", Some(&app.admin), Some(incompatible)).await;
    reply.problem(422, "validation_failed");
    let codes: Vec<&str> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["limit_tightened", "field_removed"]);
    assert_eq!(reply.body["field"], "definition.fields[0].max_length");
    assert_eq!(app.head().await, before, "a rejected revision appends nothing");
    let normalized: events::schema::TypeDefinition = serde_json::from_value(revised).unwrap();
    let current = app.send("GET", "/v1/types/article", Some(&app.admin), None).await.body["definition"].clone();
    assert_eq!(current, serde_json::to_value(normalized).unwrap(), "still the last accepted definition");
}

pub async fn every_kind_of_bad_input_has_its_problem(app: &TestApp) {
    let before = app.head().await;
    let put = |body| app.send("PUT", "/v1/types/article", Some(&app.admin), Some(body));

    // A reference to a type that does not exist.
    let reply = put(article()).await;
    reply.problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["code"], "unknown_type");
    assert_eq!(reply.body["field"], "definition.fields[1].target");

    // A misspelt member, a wrong JSON type, an unknown kind.
    let reply = put(json!({"fields": [{"name": "a", "kind": "string", "requried": true}]})).await;
    reply.problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["code"], "unknown_member");
    assert_eq!(reply.body["field"], "definition.fields[0].requried");
    put(json!({"fields": [{"name": "a", "kind": "string", "required": "yes"}]}))
        .await
        .problem(422, "validation_failed");
    put(json!({"fields": [{"name": "a", "kind": "blob"}]})).await.problem(422, "validation_failed");

    // Not JSON, not JSON at all by content type, too large.
    let url = format!("{}/v1/types/article", app.url);
    let malformed =
        app.client.put(&url).bearer_auth(&app.admin).header("content-type", "application/json").body("{\"fields\": [");
    app.raw(malformed).await.problem(400, "malformed_json");
    let text = app.client.put(&url).bearer_auth(&app.admin).header("content-type", "text/plain").body("{}");
    app.raw(text).await.problem(415, "unsupported_media_type");
    let huge = json!({"fields": [{"name": "a", "kind": "enum", "values": vec!["x".repeat(1000); 3000]}]});
    app.raw(app.client.put(&url).bearer_auth(&app.admin).json(&huge)).await.problem(413, "payload_too_large");

    // A bad type name in the path, an unknown type.
    let reply = app.send("PUT", "/v1/types/Bad-Name", Some(&app.admin), Some(article())).await;
    reply.problem(400, "invalid_type_name");
    assert_eq!(reply.body["field"], "type");
    app.send("GET", "/v1/types/nothing_here", Some(&app.admin), None).await.problem(404, "unknown_type");

    assert_eq!(app.head().await, before, "no bad input appended anything");
}

pub async fn if_match_guards_against_stale_revisions(app: &TestApp) {
    let tag = json!({"fields": [{"name": "name", "kind": "string"}]});
    app.send("PUT", "/v1/types/tag", Some(&app.admin), Some(tag.clone())).await;
    let mut revised = tag.clone();
    revised["fields"].as_array_mut().unwrap().push(json!({"name": "color", "kind": "string"}));
    let url = format!("{}/v1/types/tag", app.url);

    let stale = app.client.put(&url).bearer_auth(&app.admin).header("if-match", "\"7\"").json(&revised);
    let reply = app.raw(stale).await;
    reply.problem(412, "stale_version");
    assert_eq!(reply.body["current_version"], 1);

    let bad = app.client.put(&url).bearer_auth(&app.admin).header("if-match", "seven").json(&revised);
    app.raw(bad).await.problem(400, "invalid_if_match");

    let fresh = app.client.put(&url).bearer_auth(&app.admin).header("if-match", "\"1\"").json(&revised);
    let reply = app.raw(fresh).await;
    assert_eq!((reply.status, reply.body["version"].clone()), (200, json!(2)));
}

pub async fn events_carry_the_actor_request_and_correlation_ids(app: &TestApp) {
    let tag = json!({"fields": [{"name": "name", "kind": "string"}]});
    let correlation = uuid::Uuid::now_v7();
    let request = app
        .client
        .put(format!("{}/v1/types/tag", app.url))
        .bearer_auth(&app.admin)
        .header("x-request-id", "req-abc-123")
        .header("x-correlation-id", correlation.to_string())
        .json(&tag);
    let reply = app.raw(request).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.headers["x-request-id"], "req-abc-123");

    let stored = app.stream("type-tag").await;
    let metadata = &stored[0].metadata;
    let (admin_id, _) = command_api::keys::parse(&app.admin).unwrap();
    assert_eq!(metadata.actor.as_deref(), Some(format!("key:{}", admin_id.simple()).as_str()));
    assert_eq!(metadata.request_id.as_deref(), Some("req-abc-123"));
    assert_eq!(metadata.correlation_id, Some(correlation));
    assert!(metadata.causation_id.is_some(), "the request is the cause");

    let generated = app.send("GET", "/v1/types/tag", Some(&app.admin), None).await;
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::try_parse(id).is_ok(), "a request without an id gets a UUIDv7: {id}");

    let mut revised = tag.clone();
    revised["fields"].as_array_mut().unwrap().push(json!({"name": "color", "kind": "string"}));
    let request_id = uuid::Uuid::now_v7();
    let request = app.client.put(format!("{}/v1/types/tag", app.url)).bearer_auth(&app.admin);
    app.raw(request.header("x-request-id", request_id.to_string()).json(&revised)).await;
    let stored = app.stream("type-tag").await;
    assert_eq!(stored[1].metadata.causation_id, Some(request_id), "a UUID request id is the causation id");
}

pub async fn types_are_listed_by_name_and_paged(app: &TestApp) {
    for name in ["tag", "author", "category"] {
        let definition = json!({"fields": [{"name": "name", "kind": "string"}]});
        app.send("PUT", &format!("/v1/types/{name}"), Some(&app.admin), Some(definition)).await;
    }
    let site = app.key(events::payloads::Role::Site).await;
    let all = app.send("GET", "/v1/types", Some(&site), None).await;
    assert_eq!(all.status, 200);
    let names: Vec<&str> = all.body["data"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(names, ["author", "category", "tag"]);
    assert_eq!(all.body["next"], Value::Null);
    assert_eq!(all.body["data"][0]["definition"]["fields"][0]["name"], "name");

    let first = app.send("GET", "/v1/types?limit=2", Some(&site), None).await;
    assert_eq!(first.body["next"], "category");
    let rest = app.send("GET", "/v1/types?limit=2&after=category", Some(&site), None).await;
    assert_eq!(rest.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["data"][0]["type"], "tag");

    app.send("GET", "/v1/types?limit=0", Some(&site), None).await.problem(400, "invalid_limit");
    app.send("GET", "/v1/types?limit=abc", Some(&site), None).await.problem(400, "invalid_limit");
    app.send("GET", "/v1/types?after=Bad", Some(&site), None).await.problem(400, "invalid_type_name");
    app.send("GET", "/v1/types?sort=name", Some(&site), None).await.problem(400, "invalid_parameter");
    app.send("GET", "/v1/types", None, None).await.problem(401, "missing_credentials");
}
