use crate::support::TestApp;
use events::payloads::Role;
use serde_json::{json, Value};

async fn define(app: &TestApp) {
    let types = [
        ("author", json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"})),
        (
            "category",
            json!({"fields": [{"name": "name", "kind": "string", "required": true}, {"name": "parent", "kind": "parent"}], "slug_from": "name"}),
        ),
        (
            "article",
            json!({"fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 100},
            {"name": "author", "kind": "reference", "target": "author"},
            {"name": "category", "kind": "reference", "target": "category"}
        ], "slug_from": "title"}),
        ),
    ];
    for (name, definition) in types {
        let reply = app.send("PUT", &format!("/v1/types/{name}"), Some(&app.admin), Some(definition)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

async fn create(app: &TestApp, key: &str, type_name: &str, body: Value) -> crate::support::Reply {
    app.send("POST", &format!("/v1/content/{type_name}"), Some(key), Some(body)).await
}

fn id(reply: &crate::support::Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn patch(app: &TestApp, key: &str, path: &str, version: Option<u64>, body: Value) -> crate::support::Reply {
    let mut request = app.client.patch(format!("{}{path}", app.url)).bearer_auth(key).json(&body);
    if let Some(version) = version {
        request = request.header("if-match", format!("\"{version}\""));
    }
    app.raw(request).await
}

pub async fn an_item_goes_through_its_whole_lifecycle(app: &TestApp) {
    define(app).await;
    let editor = app.key(Role::Editor).await;
    let ada = create(app, &editor, "author", json!({"fields": {"name": "Ada Lovelace"}})).await;
    assert_eq!(
        (ada.status, ada.body["slug"].clone(), ada.body["status"].clone()),
        (201, json!("ada-lovelace"), json!("draft"))
    );

    let article =
        create(app, &editor, "article", json!({"fields": {"title": "Notes on the Engine", "author": id(&ada)}})).await;
    assert_eq!(article.status, 201, "{}", article.body);
    assert_eq!(article.body["version"], 1);
    assert_eq!(article.body["position"].as_u64(), Some(app.head().await));
    let path = format!("/v1/content/article/{}", id(&article));
    assert_eq!(article.headers["location"], path.as_str());

    patch(app, &editor, &path, None, json!({"fields": {"title": "Notes"}})).await.problem(428, "if_match_required");
    let stale = patch(app, &editor, &path, Some(7), json!({"fields": {"title": "Notes"}})).await;
    stale.problem(412, "stale_version");
    assert_eq!(stale.body["current_version"], 1);
    let revised = patch(app, &editor, &path, Some(1), json!({"fields": {"title": "Notes"}})).await;
    assert_eq!((revised.status, revised.body["version"].clone()), (200, json!(2)), "{}", revised.body);

    let action = |name: &'static str| {
        let url = format!("{path}/{name}");
        let editor = editor.clone();
        async move { app.send("POST", &url, Some(&editor), None).await }
    };
    let published = action("publish").await;
    assert_eq!(
        (published.status, published.body["status"].clone(), published.body["version"].clone()),
        (200, json!("published"), json!(3))
    );
    let head = app.head().await;
    let again = action("publish").await;
    assert_eq!((again.status, again.body["version"].clone()), (200, json!(3)));
    assert_eq!(app.head().await, head, "publishing twice appends nothing");

    let schedule_path = format!("{path}/schedule");
    let future = app.send("POST", &schedule_path, Some(&editor), Some(json!({"publish_at": "2099-01-01T09:00:00Z"})));
    future.await.problem(409, "already_published");
    assert_eq!(action("unpublish").await.body["status"], "draft");
    let scheduled = app
        .send("POST", &format!("{path}/schedule"), Some(&editor), Some(json!({"publish_at": "2099-01-01T09:00:00Z"})))
        .await;
    assert_eq!((scheduled.status, scheduled.body["status"].clone()), (200, json!("scheduled")));
    let past = app
        .send("POST", &format!("{path}/schedule"), Some(&editor), Some(json!({"publish_at": "2001-01-01T00:00:00Z"})))
        .await;
    past.problem(422, "validation_failed");
    assert_eq!(past.body["errors"][0]["code"], "publish_at_in_past");

    let archived = action("archive").await;
    assert_eq!((archived.status, archived.body["status"].clone()), (200, json!("archived")));
    action("publish").await.problem(409, "archived");
    patch(app, &editor, &path, Some(6), json!({"fields": {"title": "x"}})).await.problem(409, "archived");

    let kinds: Vec<String> =
        app.stream(&format!("content-{}", id(&article))).await.into_iter().map(|e| e.event_type).collect();
    assert_eq!(
        kinds,
        [
            "ContentCreated",
            "ContentRevised",
            "ContentPublished",
            "ContentUnpublished",
            "ContentScheduled",
            "ContentArchived"
        ]
    );
}

pub async fn slugs_are_unique_per_type_even_when_creates_race(app: &TestApp) {
    define(app).await;
    let editor = app.key(Role::Editor).await;
    let racers = (0..8).map(|_| create(app, &editor, "author", json!({"fields": {"name": "Grace Hopper"}})));
    let replies = futures_util::future::join_all(racers).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "exactly one create gets the slug");
    for loser in replies.iter().filter(|r| r.status != 201) {
        loser.problem(409, "slug_taken");
        assert_eq!(loser.body["field"], "slug");
    }
    let items = app.store.read_all(0, 10_000).await.unwrap();
    assert_eq!(
        items.iter().filter(|e| e.event_type == "ContentCreated").count(),
        1,
        "no orphan item from a losing create"
    );

    let other_type = create(app, &editor, "category", json!({"fields": {"name": "Grace Hopper"}})).await;
    assert_eq!(other_type.status, 201, "slugs are per type");

    // Moving an item to a new slug frees the old one.
    let path = format!("/v1/content/author/{}", id(created[0]));
    let moved = patch(app, &editor, &path, Some(1), json!({"slug": "admiral-hopper"})).await;
    assert_eq!((moved.status, moved.body["slug"].clone()), (200, json!("admiral-hopper")), "{}", moved.body);
    let taken = create(app, &editor, "author", json!({"fields": {"name": "x"}, "slug": "admiral-hopper"})).await;
    taken.problem(409, "slug_taken");
    let reuse = create(app, &editor, "author", json!({"fields": {"name": "Grace Hopper"}})).await;
    assert_eq!(reuse.status, 201, "the old slug is free again: {}", reuse.body);
}

pub async fn references_must_name_live_items_of_their_type_and_trees_stay_trees(app: &TestApp) {
    define(app).await;
    let editor = app.key(Role::Editor).await;
    let before = app.head().await;
    let nobody = uuid::Uuid::now_v7().to_string();
    let missing = create(app, &editor, "article", json!({"fields": {"title": "A", "author": nobody}})).await;
    missing.problem(422, "validation_failed");
    assert_eq!(
        (missing.body["errors"][0]["code"].clone(), missing.body["field"].clone()),
        (json!("unknown_reference"), json!("fields.author"))
    );

    let news = create(app, &editor, "category", json!({"fields": {"name": "News"}})).await;
    let wrong_type = create(app, &editor, "article", json!({"fields": {"title": "A", "author": id(&news)}})).await;
    wrong_type.problem(422, "validation_failed");
    assert_eq!(app.head().await, before + 2, "only the category was appended (item + slug)");

    let old = create(app, &editor, "author", json!({"fields": {"name": "Old"}})).await;
    app.send("POST", &format!("/v1/content/author/{}/archive", id(&old)), Some(&editor), None).await;
    let archived = create(app, &editor, "article", json!({"fields": {"title": "A", "author": id(&old)}})).await;
    archived.problem(422, "validation_failed");

    let local = create(app, &editor, "category", json!({"fields": {"name": "Local", "parent": id(&news)}})).await;
    assert_eq!(local.status, 201, "{}", local.body);
    let city = create(app, &editor, "category", json!({"fields": {"name": "City", "parent": id(&local)}})).await;
    assert_eq!(city.status, 201);
    let news_path = format!("/v1/content/category/{}", id(&news));
    let cycle = patch(app, &editor, &news_path, Some(1), json!({"fields": {"parent": id(&city)}})).await;
    cycle.problem(422, "validation_failed");
    assert_eq!(cycle.body["errors"][0]["code"], "parent_cycle");
    let own = patch(app, &editor, &news_path, Some(1), json!({"fields": {"parent": id(&news)}})).await;
    assert_eq!(own.body["errors"][0]["code"], "parent_cycle");
}

pub async fn authors_change_only_their_own_items(app: &TestApp) {
    define(app).await;
    let (alice, bob, editor) = (app.key(Role::Author).await, app.key(Role::Author).await, app.key(Role::Editor).await);
    let mine = create(app, &alice, "author", json!({"fields": {"name": "Alice"}})).await;
    assert_eq!(mine.status, 201);
    let path = format!("/v1/content/author/{}", id(&mine));
    patch(app, &bob, &path, Some(1), json!({"fields": {"name": "Bob was here"}})).await.problem(403, "forbidden");
    app.send("POST", &format!("{path}/publish"), Some(&bob), None).await.problem(403, "forbidden");
    assert_eq!(app.send("POST", &format!("{path}/publish"), Some(&alice), None).await.status, 200);
    assert_eq!(
        patch(app, &editor, &path, Some(2), json!({"fields": {"name": "Alice L."}})).await.status,
        200,
        "editors edit all"
    );
    for role in [Role::Admin, Role::Moderator, Role::Site] {
        let key = app.key(role).await;
        create(app, &key, "author", json!({"fields": {"name": "Nope"}})).await.problem(403, "forbidden");
        app.send("POST", &format!("{path}/archive"), Some(&key), None).await.problem(403, "forbidden");
    }
}

pub async fn bad_content_input_is_refused_and_appends_nothing(app: &TestApp) {
    define(app).await;
    let editor = app.key(Role::Editor).await;
    let before = app.head().await;
    create(app, &editor, "nothing", json!({"fields": {}})).await.problem(404, "unknown_type");
    let cases = [
        (json!({"fields": {"title": "A", "subtitle": "b"}}), "fields.subtitle", "unknown_field"),
        (json!({"fields": {"title": 5}}), "fields.title", "wrong_kind"),
        (json!({"fields": {"title": "x".repeat(101)}}), "fields.title", "too_long"),
        (json!({"fields": {}}), "fields.title", "required"),
        (json!({"fields": {"title": "A"}, "status": "published"}), "status", "unknown_member"),
        (json!({"fields": {"title": "A"}, "slug": "Not A Slug"}), "slug", "invalid_slug"),
        (json!({"fields": ["title"]}), "fields", "wrong_kind"),
        (json!({"fields": {"title": "A", "author": "not-an-id"}}), "fields.author", "wrong_kind"),
    ];
    for (body, field, code) in cases {
        let reply = create(app, &editor, "article", body).await;
        reply.problem(422, "validation_failed");
        assert_eq!((reply.body["field"].as_str(), reply.body["errors"][0]["code"].as_str()), (Some(field), Some(code)));
    }
    let url = format!("{}/v1/content/article", app.url);
    let malformed = app.client.post(&url).bearer_auth(&editor).header("content-type", "application/json").body("{");
    app.raw(malformed).await.problem(400, "malformed_json");
    app.send("POST", "/v1/content/article/not-a-uuid/publish", Some(&editor), None)
        .await
        .problem(404, "unknown_content");
    let unknown = format!("/v1/content/article/{}/publish", uuid::Uuid::now_v7());
    app.send("POST", &unknown, Some(&editor), None).await.problem(404, "unknown_content");
    assert_eq!(app.head().await, before, "nothing was appended");

    let ada = create(app, &editor, "author", json!({"fields": {"name": "Ada"}})).await;
    let as_article = format!("/v1/content/article/{}/publish", id(&ada));
    app.send("POST", &as_article, Some(&editor), None).await.problem(404, "unknown_content");
}
