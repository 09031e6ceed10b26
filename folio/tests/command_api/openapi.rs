use crate::support::TestApp;

/// Every route `folio serve` answers, as (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/types"),
    ("get", "/v1/types/{type}"),
    ("put", "/v1/types/{type}"),
    ("post", "/v1/content/{type}"),
    ("patch", "/v1/content/{type}/{id}"),
    ("post", "/v1/content/{type}/{id}/publish"),
    ("post", "/v1/content/{type}/{id}/unpublish"),
    ("post", "/v1/content/{type}/{id}/schedule"),
    ("post", "/v1/content/{type}/{id}/archive"),
    ("post", "/v1/content/{type}/{id}/views"),
    ("post", "/v1/content/{type}/{id}/shares"),
    ("post", "/v1/content/{type}/{id}/likes"),
    ("delete", "/v1/content/{type}/{id}/likes"),
    ("post", "/v1/content/{type}/{id}/bookmarks"),
    ("delete", "/v1/content/{type}/{id}/bookmarks"),
    ("post", "/v1/content/{type}/{id}/comments"),
    ("patch", "/v1/comments/{id}"),
    ("delete", "/v1/comments/{id}"),
    ("post", "/v1/keys"),
    ("delete", "/v1/keys/{id}"),
    ("get", "/v1/content/{type}"),
    ("get", "/v1/content/{type}/{id_or_slug}"),
    ("get", "/v1/content/{type}/{id}/comments"),
    ("get", "/v1/users/{user}/history"),
    ("get", "/v1/users/{user}/state"),
];

pub async fn the_openapi_document_lists_every_route_and_the_docs_page_renders_it(app: &TestApp) {
    let reply = app.send("GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200, "the document needs no key");
    let document = reply.body;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(method, _)| ["get", "put", "post", "patch", "delete"].contains(&method.as_str()))
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    expected.sort();
    assert_eq!(documented, expected);

    let create = &paths["/v1/content/{type}"]["post"];
    assert!(create["responses"]["422"]["content"]["application/problem+json"].is_object());
    assert_eq!(document["components"]["securitySchemes"]["key"]["scheme"], "bearer");
    assert!(document["components"]["schemas"]["Problem"]["properties"]["code"].is_object());

    let docs = app.client.get(format!("{}/docs", app.url)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("spec-url=\"/openapi.json\""));
}
