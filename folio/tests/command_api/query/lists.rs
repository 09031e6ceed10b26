//! Lists: order, paging, audience, filters, sort, search, field selection, counts.

use super::blog::{self, all_pages, ids, Blog};
use crate::support::TestApp;
use events::payloads::Role;
use serde_json::{json, Value};
use std::collections::HashSet;

fn newest_first(ids: &[String]) -> Vec<String> {
    ids.iter().rev().cloned().collect()
}

/// Articles of `blog.published` (by index) that `keep` selects, newest first.
fn expected(blog: &Blog, keep: impl Fn(usize) -> bool) -> Vec<String> {
    let chosen: Vec<String> =
        blog.published.iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, id)| id.clone()).collect();
    newest_first(&chosen)
}

pub async fn lists_are_newest_first_and_page_by_cursor_without_gaps_or_repeats(app: &TestApp) {
    let blog = blog::write(app, 25, 3).await;
    let first = app.send("GET", "/v1/content/article?limit=10", None, None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(ids(&first.body), newest_first(&blog.published)[..10].to_vec());
    let all = all_pages(app, "/v1/content/article?limit=10", None).await;
    assert_eq!(all, newest_first(&blog.published), "every published article once, newest first; no drafts");

    // A cursor is a position in the order, not an offset: items published before it do not shift it.
    let cursor = first.body["next"].as_str().unwrap().to_owned();
    let extra = blog::create(app, &blog.editor, "article", blog::article_fields(&blog, 99)).await;
    let position = blog::publish(app, &blog.editor, "article", &extra).await;
    let min = position.to_string();
    let second = app
        .raw(
            app.client
                .get(format!("{}/v1/content/article?limit=10&after={cursor}", app.url))
                .header("Folio-Min-Position", &min),
        )
        .await;
    assert_eq!(ids(&second.body), newest_first(&blog.published)[10..20].to_vec());
    let newest = app
        .raw(app.client.get(format!("{}/v1/content/article?limit=1", app.url)).header("Folio-Min-Position", &min))
        .await;
    assert_eq!(ids(&newest.body), vec![extra]);

    // Editors also see drafts (and only them when they ask for drafts).
    let drafts = app.send("GET", "/v1/content/article?filter[status]=draft", Some(&blog.editor), None).await;
    assert_eq!(ids(&drafts.body).into_iter().collect::<HashSet<_>>(), blog.drafts.iter().cloned().collect());
    let public_drafts = app.send("GET", "/v1/content/article?filter[status]=draft", None, None).await;
    assert_eq!(ids(&public_drafts.body), Vec::<String>::new(), "the public never sees drafts");
    let everything = all_pages(app, "/v1/content/article?limit=7", Some(&blog.editor)).await;
    assert_eq!(everything.len(), 26 + 3, "editors page through published and drafts alike");
    assert_eq!(
        everything.iter().collect::<HashSet<_>>().len(),
        everything.len(),
        "no repeats across the NULL boundary"
    );
    assert_eq!(
        &everything[26..].iter().cloned().collect::<HashSet<_>>(),
        &blog.drafts.iter().cloned().collect(),
        "never-published items sort last"
    );
}

pub async fn lists_filter_by_relations_subtrees_values_and_search(app: &TestApp) {
    let blog = blog::write(app, 24, 0).await;
    let get = |path: String| async move {
        let reply = app.send("GET", &path, None, None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        ids(&reply.body)
    };
    let limit = "limit=100";
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[tags]={}", blog.tags[1])).await,
        expected(&blog, |i| i % 3 == 1)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[tags][in]={},{}", blog.tags[0], blog.tags[1])).await,
        expected(&blog, |i| i % 3 != 2)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[tags][ne]={}", blog.tags[3])).await,
        expected(&blog, |i| i % 2 == 1)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[author]={}", blog.authors[2])).await,
        expected(&blog, |i| i % 3 == 2)
    );
    // A tree reference matches the whole subtree: rust is under tech.
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[category]={}", blog.tech)).await,
        expected(&blog, |i| i % 2 == 0)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[category]={}", blog.life)).await,
        expected(&blog, |i| i % 2 == 1)
    );
    let rating = |i: usize| if !i.is_multiple_of(3) { Some(i % 7) } else { None };
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[rating][gte]=4")).await,
        expected(&blog, |i| rating(i).is_some_and(|r| r >= 4))
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[rating][lt]=2")).await,
        expected(&blog, |i| rating(i).is_some_and(|r| r < 2))
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[rating][ne]=3")).await,
        expected(&blog, |i| rating(i) != Some(3))
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[rating][exists]=false")).await,
        expected(&blog, |i| rating(i).is_none())
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[section][in]=news,howto")).await,
        expected(&blog, |i| i % 3 != 1)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[featured]=true&filter[section]=news")).await,
        expected(&blog, |i| i % 12 == 0)
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[event_on][gte]=2024-03-10T00:00:00Z&filter[event_on][lt]=2024-03-12T00:00:00Z")).await,
        expected(&blog, |i| (9..11).contains(&(i % 28)))
    );
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[title][contains]=LE 1")).await,
        expected(&blog, |i| (10..20).contains(&i))
    );
    assert_eq!(get(format!("/v1/content/article?{limit}&filter[slug]=article-07")).await, expected(&blog, |i| i == 7));
    assert_eq!(
        get(format!("/v1/content/article?{limit}&filter[id][in]={},{}", blog.published[3], blog.published[5])).await,
        expected(&blog, |i| i == 3 || i == 5)
    );

    // Search: every word must match, in the title or the body.
    assert_eq!(
        get(format!("/v1/content/article?{limit}&q=borrowing&sort=-published_at")).await,
        expected(&blog, |i| i % 5 == 0)
    );
    assert_eq!(get(format!("/v1/content/article?{limit}&q=Ownership+part+10")).await, expected(&blog, |i| i == 10));
    assert_eq!(get(format!("/v1/content/article?{limit}&q=nowhere")).await, Vec::<String>::new());
    let ranked = get(format!("/v1/content/article?{limit}&q=article+05+borrowing")).await;
    assert_eq!(ranked, expected(&blog, |i| i == 5), "title and body words together");
    // Search combines with filters, and pages by relevance without repeats.
    let searched = all_pages(app, "/v1/content/article?limit=2&q=notes&filter[section]=news", None).await;
    assert_eq!(
        searched.iter().cloned().collect::<HashSet<_>>(),
        expected(&blog, |i| i % 5 != 0 && i % 3 == 0).into_iter().collect()
    );
    assert_eq!(searched.len(), expected(&blog, |i| i % 5 != 0 && i % 3 == 0).len());

    // Sort by a field: items without it sort lowest (last descending, first ascending); id breaks ties.
    let by_rating = all_pages(app, "/v1/content/article?limit=5&sort=-rating", None).await;
    let mut want: Vec<(Option<usize>, usize)> = (0..24).map(|i| (rating(i), i)).collect();
    let id_of = |i: usize| blog.published[i].clone();
    want.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| id_of(b.1).cmp(&id_of(a.1))));
    assert_eq!(by_rating, want.iter().map(|(_, i)| id_of(*i)).collect::<Vec<_>>());
    let ascending = all_pages(app, "/v1/content/article?limit=5&sort=rating", None).await;
    assert_eq!(ascending, by_rating.iter().rev().cloned().collect::<Vec<_>>());
    let by_title = all_pages(app, "/v1/content/article?limit=9&sort=title", None).await;
    assert_eq!(by_title, blog.published.clone(), "titles are zero-padded: title order is publish order");

    // Field selection and counts.
    let page = app.send("GET", "/v1/content/article?limit=2&fields=title,views,tags&count=exact", None, None).await;
    let first = page.body["data"][0].as_object().unwrap();
    assert_eq!(
        first.keys().cloned().collect::<HashSet<_>>(),
        ["id", "title", "views", "tags"].map(String::from).into_iter().collect()
    );
    assert!(first["tags"][0]["slug"].is_string(), "selected members keep their expanded references");
    assert_eq!(page.body["count"]["value"], 24);
    assert_eq!(page.body["count"]["estimated"], false);
    let estimate = app.send("GET", "/v1/content/article?limit=1&count=estimate", None, None).await;
    assert!(estimate.body["count"]["value"].as_i64().unwrap() >= 1, "{}", estimate.body);
    let full = app.send("GET", "/v1/content/article?limit=2", None, None).await;
    let document = &full.body["data"][1];
    assert_eq!(document["slug"], "article-22");
    assert_eq!(document["author"]["name"], ["Ada", "Grace", "Barbara"][22 % 3], "references are expanded");
    assert_eq!(document["category"]["path"][0]["slug"], "tech", "with the category's path");
    assert_eq!(
        (document["views"].as_i64(), document["comments"].as_i64()),
        (Some(0), Some(0)),
        "counters come with every item"
    );
}

/// A field defined `"listed": false` stays out of list entries (lists carry cards), unless
/// `fields=` names it; detail always carries it. Revising the flag re-renders the type's items.
pub async fn lists_leave_unlisted_fields_out_unless_asked_for(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    let editor = app.key(Role::Editor).await;
    let definition = |body_listed: bool| {
        json!({"fields": [
            {"name": "title", "kind": "string", "required": true},
            {"name": "blurb", "kind": "text"},
            {"name": "body", "kind": "text", "listed": body_listed},
            {"name": "topic", "kind": "reference", "target": "topic", "filterable": true}
        ], "slug_from": "title"})
    };
    let topic_type = json!({"fields": [{"name": "name", "kind": "string", "required": true}], "slug_from": "name"});
    assert_eq!(app.send("PUT", "/v1/types/topic", admin, Some(topic_type)).await.status, 201);
    let topic = blog::create(app, &editor, "topic", json!({"name": "Boats"})).await;
    blog::publish(app, &editor, "topic", &topic).await;
    let defined = app.send("PUT", "/v1/types/page", admin, Some(definition(false))).await;
    assert_eq!(defined.status, 201, "{}", defined.body);
    assert_eq!(defined.body["definition"]["fields"][2]["listed"], false, "the flag reads back");
    assert!(defined.body["definition"]["fields"][1].get("listed").is_none(), "listed is the default");
    let fields = json!({"title": "Welcome", "blurb": "Short", "body": "A long body about ferries", "topic": topic});
    let id = blog::create(app, &editor, "page", fields).await;
    let position = blog::publish(app, &editor, "page", &id).await;
    app.wait_for_projections(position).await;

    let members = |entry: &Value| entry.as_object().unwrap().keys().cloned().collect::<HashSet<_>>();
    let list = app.send("GET", "/v1/content/page", None, None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let entry = &list.body["data"][0];
    assert!(!members(entry).contains("body"), "a list entry leaves body out: {entry}");
    assert_eq!((entry["title"].as_str(), entry["blurb"].as_str()), (Some("Welcome"), Some("Short")));
    assert_eq!(entry["views"], 0, "counters still come with every entry");
    let found = app.send("GET", "/v1/content/page?q=ferries", None, None).await;
    assert_eq!(ids(&found.body), vec![id.clone()], "search still matches the unlisted field's words");
    assert!(!members(&found.body["data"][0]).contains("body"), "and lists it as a card");
    let asked = app.send("GET", "/v1/content/page?fields=title,body", None, None).await;
    assert_eq!(members(&asked.body["data"][0]), ["id", "title", "body"].map(String::from).into_iter().collect());
    assert_eq!(asked.body["data"][0]["body"], "A long body about ferries");
    let detail = app.send("GET", &format!("/v1/content/page/{id}"), None, None).await;
    assert_eq!(detail.body["data"]["body"], "A long body about ferries", "detail carries every field");
    // A list by relation alone lists the same cards (on PostgreSQL, the copies its reference
    // rows carry), and whole documents when asked for an unlisted field.
    let by_topic = format!("/v1/content/page?filter[topic]={topic}");
    let related = app.send("GET", &by_topic, None, None).await;
    assert_eq!(related.body["data"], list.body["data"], "by relation, the same card");
    let asked = app.send("GET", &format!("{by_topic}&fields=title,body"), None, None).await;
    assert_eq!(asked.body["data"][0]["body"], "A long body about ferries", "{}", asked.body);

    // Listing the field again re-renders the type's items; unlisting it takes it out again.
    for listed in [true, false] {
        let revised = app.send("PUT", "/v1/types/page", admin, Some(definition(listed))).await;
        assert_eq!(revised.status, 200, "{}", revised.body);
        app.wait_for_projections(revised.body["position"].as_u64().unwrap()).await;
        for url in ["/v1/content/page", by_topic.as_str()] {
            let list = app.send("GET", url, None, None).await;
            assert_eq!(members(&list.body["data"][0]).contains("body"), listed, "{url}: {}", list.body);
        }
    }
    // Renaming what the card embeds re-renders it, by relation too.
    let renamed = blog::revise(app, &editor, "topic", &topic, 2, json!({"name": "Ships"})).await;
    app.wait_for_projections(renamed).await;
    let related = app.send("GET", &by_topic, None, None).await;
    assert_eq!(related.body["data"][0]["topic"]["name"], "Ships", "{}", related.body);

    let bad = json!({"fields": [{"name": "title", "kind": "string", "listed": "no"}]});
    let refused = app.send("PUT", "/v1/types/page", admin, Some(bad)).await;
    refused.problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["code"], "invalid_definition", "listed is a boolean");
}

/// A list reads only the counters it shows: without `fields=` every counter comes, with it only
/// those named (and none, when it names none), each the item's own, in the plain list and by tag.
pub async fn lists_show_only_the_counters_they_are_asked_for(app: &TestApp) {
    let blog = blog::write(app, 3, 0).await;
    let id = &blog.published[2];
    for user in ["u1", "u2"] {
        blog::engage(app, &blog.site, id, "views", user).await;
    }
    let liked = blog::engage(app, &blog.site, id, "likes", "u1").await;
    app.wait_for_projections(liked).await;
    let entry = |body: &Value| -> Value {
        body["data"].as_array().unwrap().iter().find(|e| e["id"] == json!(id)).cloned().unwrap_or(Value::Null)
    };
    let by_tag = format!("/v1/content/article?filter[tags]={}&", blog.tags[2]);
    for list in ["/v1/content/article?", by_tag.as_str()] {
        let none = app.send("GET", &format!("{list}fields=title"), None, None).await;
        assert_eq!(entry(&none.body), json!({"id": id, "title": "Article 02"}), "{list}");
        let some = app.send("GET", &format!("{list}fields=title,views,likes"), None, None).await;
        assert_eq!(entry(&some.body), json!({"id": id, "title": "Article 02", "views": 2, "likes": 1}), "{list}");
        let every = entry(&app.send("GET", list, None, None).await.body);
        let counters = ["views", "likes", "shares", "bookmarks", "comments"].map(|c| every[c].as_i64());
        assert_eq!(counters, [Some(2), Some(1), Some(0), Some(0), Some(0)], "{list}: {every}");
    }
}
