//! Every kind of bad read input gets a 400 problem+json naming the parameter; hostile strings in
//! any parameter never reach SQL as SQL.

use super::blog;
use crate::support::TestApp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

pub async fn each_kind_of_bad_read_input_has_its_code(app: &TestApp) {
    let blog = blog::write(app, 3, 0).await;
    let cases: Vec<(String, &str, &str)> = vec![
        ("/v1/content/nosuchtype".into(), "unknown_type", "type"),
        ("/v1/content/article?filter[colour]=red".into(), "unknown_field", "filter[colour]"),
        ("/v1/content/article?filter[body]=x".into(), "not_filterable", "filter[body]"),
        ("/v1/content/article?filter[rating][like]=3".into(), "unknown_operator", "filter[rating][like]"),
        ("/v1/content/article?filter[rating][contains]=3".into(), "unsupported_operator", "filter[rating][contains]"),
        ("/v1/content/article?filter[rating]=three".into(), "invalid_value", "filter[rating]"),
        ("/v1/content/article?filter[section]=gossip".into(), "invalid_value", "filter[section]"),
        ("/v1/content/article?filter[tags]=not-a-uuid".into(), "invalid_value", "filter[tags]"),
        ("/v1/content/article?filter[event_on][gt]=yesterday".into(), "invalid_value", "filter[event_on][gt]"),
        ("/v1/content/article?filter[status]=hidden".into(), "invalid_value", "filter[status]"),
        ("/v1/content/article?sort=body".into(), "not_sortable", "sort"),
        ("/v1/content/article?sort=-colour".into(), "unknown_field", "sort"),
        ("/v1/content/article?limit=0".into(), "invalid_limit", "limit"),
        ("/v1/content/article?limit=101".into(), "invalid_limit", "limit"),
        ("/v1/content/article?after=garbage".into(), "malformed_cursor", "after"),
        ("/v1/content/article?fields=title,colour".into(), "unknown_field", "fields"),
        ("/v1/content/article?page=2".into(), "unknown_parameter", "page"),
        ("/v1/content/article?q=%20%2B%2B%20".into(), "invalid_search", "q"),
        ("/v1/content/article?count=all".into(), "invalid_count", "count"),
        (format!("/v1/content/article/{}?fields=colour", blog.published[0]), "unknown_field", "fields"),
        ("/v1/content/article/x/comments".into(), "invalid_id", "id"),
        ("/v1/content/article?filter[rating]]=1".into(), "malformed_filter", "filter[rating]]"),
        ("/v1/content/article?sort=-".into(), "malformed_sort", "sort"),
        ("/v1/content/article?fields=,".into(), "malformed_fields", "fields"),
        ("/v1/content/article?limit=1&limit=2".into(), "duplicate_parameter", "limit"),
        ("/v1/content/article?filter[title]=a%00b".into(), "invalid_character", "filter[title]"),
        (format!("/v1/content/article?q={}", "a".repeat(17 * 1024)), "value_too_long", "q"),
        (
            format!("/v1/content/article?filter[rating][in]={}", vec!["1"; 101].join(",")),
            "too_many_values",
            "filter[rating][in]",
        ),
        (
            format!(
                "/v1/content/article?{}",
                (0..21).map(|i| format!("filter[title][ne]=t{i}")).collect::<Vec<_>>().join("&")
            ),
            "too_many_filters",
            "filter",
        ),
        ("/v1/content/article?filter[status][gt]=draft".into(), "unsupported_operator", "filter[status][gt]"),
    ];
    for (path, code, field) in &cases {
        let reply = app.send("GET", path, None, None).await;
        reply.problem(400, code);
        assert_eq!(reply.body["field"], *field, "{path}: {}", reply.body);
    }
    // A path no route takes (an empty id, a typo) is a 404 problem too, not an empty body.
    for path in ["/v1/content/article/", "/v1/contents/article", "/nothing-here"] {
        app.send("GET", path, None, None).await.problem(404, "no_route");
    }

    // A cursor altered by one character, or replayed against another query, is refused.
    let page = app.send("GET", "/v1/content/article?limit=1", None, None).await;
    let cursor = page.body["next"].as_str().unwrap().to_owned();
    let mut altered = cursor.clone().into_bytes();
    altered[2] = if altered[2] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    app.send("GET", &format!("/v1/content/article?limit=1&after={altered}"), None, None)
        .await
        .problem(400, "invalid_cursor");
    app.send("GET", &format!("/v1/content/article?limit=1&sort=published_at&after={cursor}"), None, None)
        .await
        .problem(400, "invalid_cursor");
    app.send("GET", &format!("/v1/content/article?limit=1&after={cursor}"), Some(&blog.editor), None)
        .await
        .problem(400, "invalid_cursor");

    let bad_position =
        app.raw(app.client.get(format!("{}/v1/content/article", app.url)).header("Folio-Min-Position", "soon")).await;
    bad_position.problem(400, "invalid_min_position");
    let future = app
        .raw(app.client.get(format!("{}/v1/content/article", app.url)).header("Folio-Min-Position", "999999999"))
        .await;
    future.problem(503, "position_not_reached");
    assert_eq!(future.headers["retry-after"], "1");
    app.send("GET", "/v1/content/article", Some("Bearer-less nonsense"), None)
        .await
        .problem(401, "invalid_credentials");
}

/// Hostile strings in every parameter: 200 or a 4xx problem, never a 5xx, and the read models
/// still answer the same afterwards.
pub async fn hostile_strings_in_any_parameter_are_answered_not_executed(app: &TestApp) {
    let blog = blog::write(app, 3, 0).await;
    let before = app.send("GET", "/v1/content/article?limit=100", None, None).await.body;
    let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
    let hostile = prop_oneof![
        Just("'; DROP TABLE content_items; --".to_owned()),
        Just("\" OR 1=1 --".to_owned()),
        Just("%' OR '1'='1".to_owned()),
        Just("x\u{0}y".to_owned()),
        Just("a & b | !c:* ( )".to_owned()),
        Just("\"unterminated NEAR(".to_owned()),
        Just("\\\\%_".to_owned()),
        ".{0,40}",
    ];
    let strategy = (0usize..12, hostile);
    // The HTTP calls are async, so values are drawn from the strategy and sent one by one.
    let samples: Vec<(usize, String)> =
        (0..runner.config().cases).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect();
    for (slot, text) in samples {
        let v = urlencode(&text);
        let path = match slot {
            0 => format!("/v1/content/article?filter[title]={v}"),
            1 => format!("/v1/content/article?filter[title][contains]={v}"),
            2 => format!("/v1/content/article?filter[section][in]={v}"),
            3 => format!("/v1/content/article?q={v}"),
            4 => format!("/v1/content/article?sort={v}"),
            5 => format!("/v1/content/article?after={v}"),
            6 => format!("/v1/content/article?fields={v}"),
            7 => format!("/v1/content/article?filter[{v}]=1"),
            8 => format!("/v1/content/{v}"),
            9 => format!("/v1/content/article/{v}"),
            10 => format!("/v1/users/{v}/history"),
            _ => format!("/v1/content/article?filter[slug][gt]={v}"),
        };
        let reply = app.send("GET", &path, Some(&blog.site), None).await;
        assert!(reply.status < 500, "{path} → {}: {}", reply.status, reply.body);
        if reply.status >= 400 {
            assert!(reply.body["code"].is_string(), "{path}: {}", reply.body);
        }
    }
    let after = app.send("GET", "/v1/content/article?limit=100", None, None).await.body;
    assert_eq!(before, after, "nothing was changed by any of it");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
