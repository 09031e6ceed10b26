//! A small demo blog for `folio serve --demo` and `folio seed --dataset demo`: three authors, a
//! category tree (Engineering > Rust, Databases; Life > Travel), eight tags, fifty articles (five
//! drafts, one scheduled for 2030), comments with a reply, views and likes. Same content model and
//! event shapes as the bench dataset ([`super::model`]); deterministic, with demo ids.

use super::ids::{Dataset, Entity};
use super::model::{define_types, item_events, item_id, like, view, Comment, Item, Lifecycle, Types};
use super::SeedError;
use chrono::{DateTime, Duration, Utc};
use events::payloads::ContentId;
use events::UserId;
use infra::ImportedEvent;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DATASET: Dataset = Dataset::Demo;
pub const ARTICLES: u64 = 50;
const READERS: u64 = 8;

const AUTHORS: [(&str, &str); 3] = [
    ("Maya Chen", "Maya builds storage engines and writes about making them fast and boring."),
    ("Tomás Rivera", "Tomás maintains a Rust web framework and collects vintage keyboards."),
    ("Ingrid Holm", "Ingrid travels by train and writes about the places between the stations."),
];

/// Name and parent (1-based index into this list).
const CATEGORIES: [(&str, Option<u64>); 5] =
    [("Engineering", None), ("Rust", Some(1)), ("Databases", Some(1)), ("Life", None), ("Travel", Some(4))];

const TAGS: [&str; 8] = ["rust", "postgres", "sqlite", "event-sourcing", "performance", "testing", "travel", "coffee"];

const OPENINGS: [&str; 10] = [
    "Notes on",
    "A week with",
    "Lessons from",
    "Getting started with",
    "The quiet joy of",
    "Debugging",
    "Ten questions about",
    "Rethinking",
    "Field notes:",
    "What I got wrong about",
];

const SUBJECTS: [&str; 5] =
    ["event sourcing", "async Rust", "PostgreSQL indexes", "night trains", "SQLite in production"];

/// The time of the demo's first article; article `i` is published `i` days later.
fn d0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_736_154_000, 0).unwrap_or_default() // 2025-01-06T09:00:00Z
}

/// When the scheduled article goes live.
pub fn scheduled_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_893_488_400, 0).unwrap_or_default() // 2030-01-01T09:00:00Z
}

fn at(days: u64, hours: u64) -> DateTime<Utc> {
    d0() + Duration::days(i64::try_from(days).unwrap_or(0)) + Duration::hours(i64::try_from(hours).unwrap_or(0))
}

fn id(entity: Entity, n: u64) -> ContentId {
    item_id(DATASET, entity, d0() - Duration::days(7) + Duration::minutes(i64::try_from(n).unwrap_or(0)), n)
}

fn article_id(n: u64) -> ContentId {
    item_id(DATASET, Entity::Article, at(n, 0), n)
}

fn lifecycle(n: u64) -> Lifecycle {
    match n {
        ARTICLES => Lifecycle::Scheduled(scheduled_at()),
        n if n % 9 == 0 => Lifecycle::Draft,
        n => Lifecycle::Published(at(n, 0)),
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => Map::new(),
    }
}

fn body(n: u64, subject: &str) -> String {
    format!(
        "This is part {n} of an ongoing series about {subject}. It started as a question over coffee and \
         turned into a month of experiments.\n\nFirst, the setup: one small machine, a clear goal, and a \
         stopwatch. Then the surprises, which were the best part.\n\nIf you try this yourself, measure before \
         you change anything, and keep your notes: future you will be grateful."
    )
}

/// The demo's events in log order.
pub fn events() -> Result<Vec<ImportedEvent>, SeedError> {
    let types = Types::new()?;
    let mut out = define_types(DATASET, &types, d0() - Duration::days(8))?;
    let created = |n: u64| d0() - Duration::days(7) + Duration::minutes(i64::try_from(n).unwrap_or(0));
    let published = |n: u64| Lifecycle::Published(created(n));
    for (n, (name, bio)) in (1u64..).zip(AUTHORS) {
        let fields = object(json!({ "name": name, "bio": bio }));
        let item = Item {
            dataset: DATASET,
            entity: Entity::Author,
            number: n,
            id: id(Entity::Author, n),
            content_type: &types.author,
            created_at: created(n),
            fields,
            lifecycle: published(n),
        };
        item_events(item, &mut out)?;
    }
    for (n, (name, parent)) in (1u64..).zip(CATEGORIES) {
        let mut fields = object(json!({ "name": name }));
        if let Some(parent) = parent {
            fields.insert("parent".into(), json!(id(Entity::Category, parent).0));
        }
        let item = Item {
            dataset: DATASET,
            entity: Entity::Category,
            number: n,
            id: id(Entity::Category, n),
            content_type: &types.category,
            created_at: created(n),
            fields,
            lifecycle: published(n),
        };
        item_events(item, &mut out)?;
    }
    for (n, name) in (1u64..).zip(TAGS) {
        let fields = object(json!({ "name": name }));
        let item = Item {
            dataset: DATASET,
            entity: Entity::Tag,
            number: n,
            id: id(Entity::Tag, n),
            content_type: &types.tag,
            created_at: created(n),
            fields,
            lifecycle: published(n),
        };
        item_events(item, &mut out)?;
    }
    for n in 1..=ARTICLES {
        let i = usize::try_from(n - 1).unwrap_or(0);
        let (opening, subject) = (OPENINGS[i % OPENINGS.len()], SUBJECTS[i / OPENINGS.len() % SUBJECTS.len()]);
        let category = [2, 3, 3, 5, 3][i / OPENINGS.len() % SUBJECTS.len()];
        let tags: Vec<Value> = [n % 8 + 1, (n * 3 + 1) % 8 + 1]
            .iter()
            .enumerate()
            .filter(|&(k, t)| k == 0 || *t != n % 8 + 1)
            .map(|(_, &t)| json!(id(Entity::Tag, t).0))
            .collect();
        let fields = object(json!({
            "title": format!("{opening} {subject}"),
            "summary": format!("{opening} {subject}: what worked, what did not, and what we would do again."),
            "body": body(n, subject),
            "author": id(Entity::Author, n % 3 + 1).0,
            "category": id(Entity::Category, category).0,
            "tags": tags,
        }));
        let item = Item {
            dataset: DATASET,
            entity: Entity::Article,
            number: n,
            id: article_id(n),
            content_type: &types.article,
            created_at: at(n, 0) - Duration::hours(2),
            fields,
            lifecycle: lifecycle(n),
        };
        item_events(item, &mut out)?;
    }
    engagement(&types, &mut out)?;
    Ok(out)
}

fn reader(n: u64) -> Result<UserId, SeedError> {
    Ok(UserId::parse(format!("reader-{n}"))?)
}

/// Comments (with one reply), views and likes on the published articles.
fn engagement(types: &Types, out: &mut Vec<ImportedEvent>) -> Result<(), SeedError> {
    let article_type = &types.article.0;
    let live = (1..=ARTICLES).filter(|&n| matches!(lifecycle(n), Lifecycle::Published(_)));
    let mut versions: HashMap<u64, u64> = HashMap::new();
    let (mut comments, mut views, mut likes) = (0u64, 0u64, 0u64);
    for n in live {
        let item = (article_type, article_id(n));
        if n <= 10 {
            let first = Comment {
                dataset: DATASET,
                number: comments + 1,
                article: item.1,
                article_type: article_type.clone(),
                parent: None,
                author: reader(n % READERS + 1)?,
                body: format!("Thanks for writing this up. Part {n} was the one I needed."),
                at: at(n, 3),
            };
            let first_id = first.id();
            out.push(first.event()?);
            let reply = Comment {
                dataset: DATASET,
                number: comments + 2,
                article: item.1,
                article_type: article_type.clone(),
                parent: (n == 1).then_some(first_id),
                author: reader((n + 3) % READERS + 1)?,
                body: if n == 1 {
                    "Agreed, and the numbers were a nice touch.".into()
                } else {
                    format!("Bookmarking part {n} for the weekend.")
                },
                at: at(n, 5),
            };
            out.push(reply.event()?);
            comments += 2;
        }
        for v in 0..(n * 7) % 13 + 1 {
            let user = (n + v) % READERS + 1;
            let version = versions.entry(user).or_default();
            *version += 1;
            views += 1;
            out.push(view(DATASET, views, item, &reader(user)?, *version, at(n, 6 + v))?);
        }
        if n % 3 == 0 {
            likes += 1;
            out.push(like(DATASET, likes, item, &reader(n % READERS + 1)?, at(n, 8))?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_demo_is_deterministic_with_unique_ids_and_contiguous_streams() {
        let events = events().unwrap();
        assert_eq!(events, super::events().unwrap());
        let ids: HashSet<_> = events.iter().map(|e| e.event_id).collect();
        assert_eq!(ids.len(), events.len());
        let mut versions: HashMap<&str, u64> = HashMap::new();
        for event in &events {
            let version = versions.entry(event.stream_id.as_str()).or_default();
            *version += 1;
            assert_eq!(event.stream_version, *version, "{}", event.stream_id);
        }
        let count = |t: &str| events.iter().filter(|e| e.event_type == t).count();
        assert_eq!(count("ContentCreated"), 3 + 5 + 8 + 50);
        assert_eq!(count("ContentScheduled"), 1);
        assert_eq!(count("ContentPublished"), 3 + 5 + 8 + 50 - 5 - 1, "five drafts and one scheduled");
        let commented = (1..=10).filter(|&n| matches!(lifecycle(n), Lifecycle::Published(_))).count();
        assert_eq!(count("CommentPosted"), 2 * commented);
        assert!(events.iter().any(|e| e.event_type == "CommentPosted" && e.data.get("parent_id").is_some()));
        assert!(count("ContentViewed") > 100 && count("ContentLiked") > 10);
    }
}
