//! A small blog written through the command API, for the query API's tests: authors, a category
//! tree, tags, and articles published one after another (so newest first is a known order).

use crate::support::TestApp;
use events::payloads::Role;
use serde_json::{json, Value};

pub struct Blog {
    pub editor: String,
    pub site: String,
    pub authors: Vec<String>,
    /// tech (root) > rust (child); life (root).
    pub tech: String,
    pub rust: String,
    pub life: String,
    pub tags: Vec<String>,
    /// Published articles, in publish order (oldest first).
    pub published: Vec<String>,
    pub drafts: Vec<String>,
}

pub async fn define_types(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    let named = json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"});
    let category = json!({"fields": [
        {"name": "name", "kind": "string", "required": true},
        {"name": "parent", "kind": "parent", "filterable": true}
    ], "slug_from": "name"});
    let article = json!({"fields": [
        {"name": "title", "kind": "string", "required": true, "filterable": true, "sortable": true},
        {"name": "body", "kind": "text"},
        {"name": "rating", "kind": "integer", "filterable": true, "sortable": true},
        {"name": "section", "kind": "enum", "values": ["news", "opinion", "howto"], "filterable": true},
        {"name": "featured", "kind": "boolean", "filterable": true},
        {"name": "event_on", "kind": "datetime", "filterable": true, "sortable": true},
        {"name": "author", "kind": "reference", "target": "author", "filterable": true},
        {"name": "category", "kind": "reference", "target": "category", "filterable": true},
        {"name": "tags", "kind": "references", "target": "tag", "filterable": true}
    ], "slug_from": "title"});
    for (name, definition) in [("author", named.clone()), ("tag", named), ("category", category), ("article", article)]
    {
        let reply = app.send("PUT", &format!("/v1/types/{name}"), admin, Some(definition)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

pub async fn create(app: &TestApp, key: &str, type_name: &str, fields: Value) -> String {
    let reply = app.send("POST", &format!("/v1/content/{type_name}"), Some(key), Some(json!({"fields": fields}))).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

pub async fn publish(app: &TestApp, key: &str, type_name: &str, id: &str) -> u64 {
    let reply = app.send("POST", &format!("/v1/content/{type_name}/{id}/publish"), Some(key), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["position"].as_u64().unwrap()
}

/// Revises item `id` (at `version`, sent as `If-Match`) with `fields`; returns the position.
pub async fn revise(app: &TestApp, key: &str, type_name: &str, id: &str, version: u64, fields: Value) -> u64 {
    let request = app
        .client
        .patch(format!("{}/v1/content/{type_name}/{id}", app.url))
        .bearer_auth(key)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({ "fields": fields }));
    let reply = app.raw(request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["position"].as_u64().unwrap()
}

/// Records engagement `action` (`views`, `likes`, ...) of article `id` by `user` with the site
/// key `site`; returns the position.
pub async fn engage(app: &TestApp, site: &str, id: &str, action: &str, user: &str) -> u64 {
    let path = format!("/v1/content/article/{id}/{action}");
    let reply = app.send("POST", &path, Some(site), Some(json!({ "user": user }))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["position"].as_u64().unwrap()
}

/// Article `i`'s fields: every third has no rating, sections and flags cycle, tags overlap.
pub fn article_fields(blog: &Blog, i: usize) -> Value {
    let section = ["news", "opinion", "howto"][i % 3];
    let category = if i.is_multiple_of(2) { &blog.rust } else { &blog.life };
    let mut fields = json!({
        "title": format!("Article {i:02}"),
        "body": if i.is_multiple_of(5) { format!("Ownership and borrowing, part {i}") } else { format!("Notes number {i}") },
        "section": section,
        "featured": i.is_multiple_of(4),
        "author": blog.authors[i % blog.authors.len()],
        "category": category,
        "tags": [blog.tags[i % 3], blog.tags[3 + i % 2]],
        "event_on": format!("2024-03-{:02}T10:00:00Z", 1 + i % 28),
    });
    if !i.is_multiple_of(3) {
        fields["rating"] = json!(i % 7);
    }
    fields
}

pub async fn write(app: &TestApp, published: usize, drafts: usize) -> Blog {
    define_types(app).await;
    let editor = app.key(Role::Editor).await;
    let site = app.key(Role::Site).await;
    let mut authors = Vec::new();
    for name in ["Ada", "Grace", "Barbara"] {
        let id = create(app, &editor, "author", json!({"name": name})).await;
        publish(app, &editor, "author", &id).await;
        authors.push(id);
    }
    let tech = create(app, &editor, "category", json!({"name": "Tech"})).await;
    let rust = create(app, &editor, "category", json!({"name": "Rust", "parent": tech})).await;
    let life = create(app, &editor, "category", json!({"name": "Life"})).await;
    let mut tags = Vec::new();
    for name in ["alpha", "beta", "gamma", "delta", "epsilon"] {
        tags.push(create(app, &editor, "tag", json!({"name": name})).await);
    }
    let mut blog = Blog { editor, site, authors, tech, rust, life, tags, published: Vec::new(), drafts: Vec::new() };
    for i in 0..published + drafts {
        let id = create(app, &blog.editor.clone(), "article", article_fields(&blog, i)).await;
        if i < published {
            publish(app, &blog.editor.clone(), "article", &id).await;
            blog.published.push(id);
        } else {
            blog.drafts.push(id);
        }
    }
    app.wait_for_projections(app.head().await).await;
    blog
}

/// The ids of a list reply's items.
pub fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

/// Every page of `path` (which has no `after`), following `next`.
pub async fn all_pages(app: &TestApp, path: &str, key: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &next {
            Some(cursor) => format!("{path}{separator}after={cursor}"),
            None => path.to_owned(),
        };
        let reply = app.send("GET", &url, key, None).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        out.extend(ids(&reply.body));
        match reply.body["next"].as_str() {
            Some(cursor) => next = Some(cursor.to_owned()),
            None => return out,
        }
    }
    panic!("more than 100 pages");
}
