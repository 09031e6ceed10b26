//! Serving: waiting for the read models, then what the workloads pick from (tags, cursors,
//! state users), resolved over HTTP and checked against DATASET.md's formulas.

use super::args::Args;
use super::data::Data;
use super::dataset::{state_user, tags_of, viewed_article, views_of};
use super::{say, CARD, TAGS};
use crate::folio::Server;
use crate::Error;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub async fn progress(data: &Data) -> String {
    let reached = data.checkpoints().await;
    let mut line: Vec<String> = reached.iter().map(|(p, at)| format!("{p} {at}")).collect();
    line.sort();
    line.join(", ")
}

/// Waits until the read models reached `head` (black-box: the list answers under
/// `Folio-Min-Position: head`), then until every projection did, then until the site key works.
pub async fn wait_ready(
    client: &reqwest::Client,
    server: &mut Server,
    data: &Data,
    head: u64,
    site: &str,
    timeout: Duration,
) -> Result<f64, Error> {
    let started = Instant::now();
    let mut shown = Instant::now();
    let url = format!("{}/v1/content/article?limit=1", server.url);
    loop {
        if !server.running() {
            return Err("folio serve exited while catching up".into());
        }
        if started.elapsed() > timeout {
            return Err(format!("the read models did not reach {head} within {timeout:?}").into());
        }
        match client.get(&url).header("Folio-Min-Position", head.to_string()).send().await {
            Ok(response) if response.status().as_u16() == 200 => break,
            Ok(response) if response.status().as_u16() == 503 => {}
            Ok(response) => {
                // Until the content projection has the type: 400 unknown_type.
                let status = response.status();
                let body = response.text().await?;
                if !body.contains("unknown_type") {
                    return Err(format!("waiting for the read models: {status} {body}").into());
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                say(&format!("waiting for the read models: {e}"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        if shown.elapsed() > Duration::from_secs(30) {
            shown = Instant::now();
            say(&format!("catching up to {head}: {:.0} s, {}", started.elapsed().as_secs_f64(), progress(data).await));
        }
    }
    let names: Vec<String> = projectors::all_projections().iter().map(|p| p.name().to_owned()).collect();
    loop {
        let reached = data.checkpoints().await;
        if names.iter().all(|n| reached.get(n).is_some_and(|at| *at >= head)) {
            break;
        }
        if started.elapsed() > timeout {
            return Err(format!("projections did not all reach {head}: {reached:?}").into());
        }
        if shown.elapsed() > Duration::from_secs(30) {
            shown = Instant::now();
            say(&format!("lists ready; the other projections: {}", progress(data).await));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let history = format!("{}/v1/users/1/history?limit=1", server.url);
    for attempt in 0.. {
        let response = client.get(&history).bearer_auth(site).send().await?;
        if response.status().as_u16() == 200 {
            break;
        }
        if attempt > 100 {
            return Err(format!("the site key does not work: {} {}", response.status(), response.text().await?).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(seconds)
}

pub async fn get_json(client: &reqwest::Client, url: &str, key: Option<&str>) -> Result<Value, Error> {
    let mut request = client.get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await?;
    let status = response.status();
    let body = response.text().await?;
    if status.as_u16() != 200 {
        return Err(format!("GET {url}: {status} {body}").into());
    }
    Ok(serde_json::from_str(&body)?)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn number_of_slug(slug: &str) -> Option<u64> {
    slug.rsplit('-').next()?.parse().ok()
}

pub fn list_url(base: &str) -> String {
    format!("{base}/v1/content/article?limit=20&fields={}", encode(CARD))
}

/// What the workloads pick from, resolved once per profile over HTTP.
#[derive(Debug)]
pub struct Setup {
    /// Tag `t`'s id at `t - 1`.
    pub tags: Vec<Uuid>,
    /// Every `next` cursor of the article list paged 100 at a time.
    pub cursors: Vec<String>,
    /// `(user, ids of 20 articles the user viewed)`.
    pub state: Vec<(u64, Vec<Uuid>)>,
    /// What setup found and how long it took.
    pub report: Value,
}

pub async fn prepare(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    site: &str,
    editor: &str,
) -> Result<Setup, Error> {
    let started = Instant::now();
    let (articles, views) = (args.scale.articles(), args.scale.views());
    // Tags, by slug.
    let mut tags = vec![Uuid::nil(); TAGS as usize];
    let mut url = format!("{base}/v1/content/tag?limit=100&fields=slug");
    let mut found = 0;
    loop {
        let page = get_json(client, &url, None).await?;
        for item in page["data"].as_array().into_iter().flatten() {
            let n = item["slug"].as_str().and_then(number_of_slug).ok_or("a tag without a tag-<n> slug")?;
            let id = Uuid::parse_str(item["id"].as_str().ok_or("a tag without id")?)?;
            if (1..=TAGS).contains(&n) {
                tags[n as usize - 1] = id;
                found += 1;
            }
        }
        match page["next"].as_str() {
            Some(next) => url = format!("{base}/v1/content/tag?limit=100&fields=slug&after={}", encode(next)),
            None => break,
        }
    }
    if found != TAGS {
        return Err(format!("found {found} of {TAGS} tags").into());
    }
    let tags_seconds = started.elapsed().as_secs_f64();
    // Cursors: page the whole list.
    let cursors_started = Instant::now();
    let (mut cursors, mut listed) = (Vec::new(), 0u64);
    let first = format!("{base}/v1/content/article?limit=100&fields={}", encode(CARD));
    let mut url = first.clone();
    loop {
        let page = get_json(client, &url, None).await?;
        listed += page["data"].as_array().map_or(0, |d| d.len() as u64);
        match page["next"].as_str() {
            Some(next) => {
                cursors.push(next.to_owned());
                url = format!("{first}&after={}", encode(next));
            }
            None => break,
        }
        if cursors.len() % 1000 == 0 {
            say(&format!("paging the article list: {} pages", cursors.len()));
        }
    }
    let cursors_seconds = cursors_started.elapsed().as_secs_f64();
    say(&format!("{} cursors from {listed} listed articles in {cursors_seconds:.0} s", cursors.len()));
    // State: the articles each pooled user viewed, by slug (drafts too: an editor key sees them).
    let state_started = Instant::now();
    let mut ids: HashMap<u64, Uuid> = HashMap::new();
    let mut wanted = Vec::new();
    for i in 0..args.state_users {
        let user = state_user(i);
        let items: Vec<u64> = views_of(user, views).take(20).map(|k| viewed_article(k, articles)).collect();
        wanted.extend(items.iter().copied());
        ids.extend(items.iter().map(|a| (*a, Uuid::nil())));
    }
    let mut pending: Vec<u64> = ids.keys().copied().collect();
    pending.sort_unstable();
    for chunk in pending.chunks(32) {
        let lookups = chunk.iter().map(|a| {
            let url = format!("{base}/v1/content/article/article-{a}?fields=slug");
            async move {
                let body = get_json(client, &url, Some(editor)).await?;
                let id = Uuid::parse_str(body["data"]["id"].as_str().ok_or("an article without id")?)?;
                Ok::<_, Error>((*a, id))
            }
        });
        for result in futures_util::future::join_all(lookups).await {
            let (a, id) = result?;
            ids.insert(a, id);
        }
    }
    let state: Vec<(u64, Vec<Uuid>)> = (0..args.state_users)
        .map(|i| {
            let user = state_user(i);
            let items = views_of(user, views).take(20).map(|k| ids[&viewed_article(k, articles)]).collect();
            (user, items)
        })
        .collect();
    let state_seconds = state_started.elapsed().as_secs_f64();
    let checks = checks(args, client, base, site, &tags, &state).await?;
    say(&format!("checks: {checks}"));
    let report = json!({
        "seconds": started.elapsed().as_secs_f64(),
        "tags": found, "tags_seconds": tags_seconds,
        "cursors": cursors.len(), "listed_articles": listed, "cursors_seconds": cursors_seconds,
        "state_users": state.len(), "state_articles_resolved": ids.len(), "state_seconds": state_seconds,
        "checks": checks,
    });
    Ok(Setup { tags, cursors, state, report })
}

/// The check values DATASET.md gives, recomputed for this scale from its formulas and compared
/// with what the API answers (so the numbers measure the right data).
pub async fn checks(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    site: &str,
    tags: &[Uuid],
    state: &[(u64, Vec<Uuid>)],
) -> Result<Value, Error> {
    let (articles, views) = (args.scale.articles(), args.scale.views());
    let published = |a: &u64| !a.is_multiple_of(10);
    let slugs = |page: &Value, item: Option<&str>| -> Vec<u64> {
        page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| item.map_or(d, |m| &d[m])["slug"].as_str().and_then(number_of_slug))
            .collect()
    };
    let list20: Vec<u64> = (1..=articles).rev().filter(published).take(20).collect();
    let got = slugs(&get_json(client, &list_url(base), None).await?, None);
    let by_tag: Vec<u64> = (1..=articles).rev().filter(|a| published(a) && tags_of(*a).contains(&7)).take(20).collect();
    let url = format!("{}&filter%5Btags%5D={}", list_url(base), tags[6]);
    let got_tag = slugs(&get_json(client, &url, None).await?, None);
    let history: Vec<u64> = views_of(42, views).rev().map(|k| viewed_article(k, articles)).take(20).collect();
    let history_published: Vec<u64> =
        views_of(42, views).rev().map(|k| viewed_article(k, articles)).filter(published).take(20).collect();
    let url = format!("{base}/v1/users/42/history?limit=20");
    let got_history = slugs(&get_json(client, &url, Some(site)).await?, Some("item"));
    let (user, items) = state.first().ok_or("no state users")?;
    let url = format!("{base}/v1/users/{user}/state?items={}", join(items));
    let body = get_json(client, &url, Some(site)).await?;
    let viewed = items.iter().filter(|i| body["data"][i.to_string()]["viewed"] == json!(true)).count();
    Ok(json!({
        "list20": got == list20,
        "by_tag_7": got_tag == by_tag,
        "history_42": if got_history == history { "all views" } else if got_history == history_published { "published only" } else { "differs" },
        "history_42_ids": got_history,
        "state_first_user_viewed": format!("{viewed}/{}", items.len()),
    }))
}

pub fn join(items: &[Uuid]) -> String {
    items.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
}
