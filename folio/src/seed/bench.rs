//! The bench dataset of `shared/bench/DATASET.md` as the events Folio's command API would have
//! written, generated lazily (one entity at a time, so 21M events stream in bounded memory) and
//! deterministically.
//!
//! Log order: the four types; authors, categories (roots first), tags (each created and
//! published); articles in id order (created at their `published_at`, published unless
//! `id % 10 = 0`); comments in id order; views in `k` order. Times: types, authors, categories
//! and tags on the day before `T0`; article `a` at `T0 + 30a s`; comment `(a, j)` at that plus
//! `j` hours; view `k` at `V0 + k s`. Each event's `recorded_at` is that time.
//!
//! Two deliberate departures from the live command API, so the events reproduce DATASET.md's
//! tables (and check values) exactly: comments are posted on drafts too (articles 10, 20, ... of
//! the first 100,000), and every `user_views` candidate row is a `ContentViewed`, drafts
//! included. Views are events, so a repeated (user, article) pair would be two events; the
//! dataset's de-duplication belongs to the read model (none occur at the default and quick sizes).

use super::ids::{Dataset, Entity};
use super::model::{define_types, item_events, item_id, view, Comment, Item, Lifecycle, Types};
use super::text::Sentences;
use super::SeedError;
use chrono::{DateTime, Duration, Utc};
use events::payloads::ContentId;
use events::schema::TypeDefinition;
use events::{TypeName, UserId};
use infra::ImportedEvent;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;

pub const AUTHORS: u64 = 10_000;
pub const CATEGORIES: u64 = 100;
pub const ROOT_CATEGORIES: u64 = 10;
pub const TAGS: u64 = 1_000;
pub const USERS: u64 = 100_000;
/// Articles 1..=min(this, N_ARTICLES) have two comments each.
pub const COMMENTED_ARTICLES: u64 = 100_000;

const DATASET: Dataset = Dataset::Bench;

/// `T0 = 2024-01-01T00:00:00Z`.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_704_067_200, 0).unwrap_or_default()
}

/// `V0 = 2024-06-01T00:00:00Z`.
pub fn v0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_717_200_000, 0).unwrap_or_default()
}

/// The day before `T0`, when the types, authors, categories and tags come into being.
fn setup() -> DateTime<Utc> {
    t0() - Duration::days(1)
}

fn seconds(n: u64) -> Duration {
    Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The dataset's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchParams {
    pub articles: u64,
    pub views: u64,
}

impl BenchParams {
    pub const FULL: Self = Self { articles: 1_000_000, views: 20_000_000 };
    pub const QUICK: Self = Self { articles: 100_000, views: 2_000_000 };

    /// How many events of each type the dataset has, in log order of first appearance.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        let items = AUTHORS + CATEGORIES + TAGS + self.articles;
        let published = AUTHORS + CATEGORIES + TAGS + self.articles - self.articles / 10;
        vec![
            ("ContentTypeDefined", 4),
            ("ContentCreated", items),
            ("SlugClaimed", items),
            ("ContentPublished", published),
            ("CommentPosted", 2 * self.articles.min(COMMENTED_ARTICLES)),
            ("ContentViewed", self.views),
        ]
    }

    pub fn total(&self) -> u64 {
        self.counts().iter().map(|(_, n)| n).sum()
    }
}

/// Article `a`'s `published_at` (and creation time): `T0 + 30a s`.
pub fn published_at(article: u64) -> DateTime<Utc> {
    t0() + seconds(article * 30)
}

pub fn is_draft(article: u64) -> bool {
    article.is_multiple_of(10)
}

pub fn author_of(article: u64) -> u64 {
    (article * 7919) % AUTHORS + 1
}

pub fn category_of(article: u64) -> u64 {
    (article * 31) % CATEGORIES + 1
}

/// `None` for the roots 1..=10, else `((id - 1) % 10) + 1`.
pub fn category_parent(category: u64) -> Option<u64> {
    (category > ROOT_CATEGORIES).then(|| (category - 1) % ROOT_CATEGORIES + 1)
}

/// The article's tags with their `article_tags` row ids, a tag equal to an earlier one dropped.
pub fn tags_of(article: u64) -> Vec<(u64, u64)> {
    let candidates = [(article * 13) % TAGS + 1, (article * 17 + 7) % TAGS + 1, (article * 19 + 11) % TAGS + 1];
    let mut tags: Vec<(u64, u64)> = Vec::with_capacity(3);
    for (n, tag) in (1u64..).zip(candidates) {
        if !tags.iter().any(|&(_, t)| t == tag) {
            tags.push(((article - 1) * 3 + n, tag));
        }
    }
    tags
}

/// `(user_id, article_id)` of `user_views` row `k`.
pub fn viewed(k: u64, articles: u64) -> (u64, u64) {
    (k % USERS + 1, (k * 104_729 + k / USERS) % articles.max(1) + 1)
}

/// Row `k`'s place in its user's activity stream: how many rows `1..=k` that user has.
pub fn view_version(k: u64) -> u64 {
    let first = match k % USERS {
        0 => USERS,
        r => r,
    };
    (k - first) / USERS + 1
}

pub fn comment_user(article: u64, j: u64) -> u64 {
    (article * 7 + j * 13) % USERS + 1
}

/// Comment `(a, j)`'s dataset id.
pub fn comment_number(article: u64, j: u64) -> u64 {
    (article - 1) * 2 + j
}

pub fn author_id(n: u64) -> ContentId {
    item_id(DATASET, Entity::Author, setup() + seconds(n), n)
}

pub fn category_id(n: u64) -> ContentId {
    item_id(DATASET, Entity::Category, setup() + seconds(20_000 + n), n)
}

pub fn tag_id(n: u64) -> ContentId {
    item_id(DATASET, Entity::Tag, setup() + seconds(30_000 + n), n)
}

pub fn article_id(n: u64) -> ContentId {
    item_id(DATASET, Entity::Article, published_at(n), n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Types,
    Authors,
    Categories,
    Tags,
    Articles,
    Comments,
    Views,
    Done,
}

/// The dataset's events in log order. Yields an error at most once, then ends.
#[derive(Debug)]
pub struct BenchEvents {
    params: BenchParams,
    types: Types,
    text: Sentences,
    phase: Phase,
    /// The next number (1-based) of the current phase.
    next: u64,
    pending: VecDeque<ImportedEvent>,
    buffer: Vec<ImportedEvent>,
}

impl BenchEvents {
    pub fn new(params: BenchParams) -> Result<Self, SeedError> {
        Ok(Self {
            params,
            types: Types::new()?,
            text: Sentences::default(),
            phase: Phase::Types,
            next: 1,
            pending: VecDeque::new(),
            buffer: Vec::with_capacity(4),
        })
    }

    fn advance(&mut self, to: Phase) {
        self.phase = to;
        self.next = 1;
    }

    /// Generates the next entity's events into `pending`, or moves to the next phase.
    fn fill(&mut self) -> Result<(), SeedError> {
        let n = self.next;
        self.next += 1;
        let mut out = std::mem::take(&mut self.buffer);
        match self.phase {
            Phase::Types => {
                out.extend(define_types(DATASET, &self.types, setup() - Duration::minutes(1))?);
                self.advance(Phase::Authors);
            }
            Phase::Authors if n <= AUTHORS => item_events(self.author(n), &mut out)?,
            Phase::Authors => self.advance(Phase::Categories),
            Phase::Categories if n <= CATEGORIES => item_events(self.category(n), &mut out)?,
            Phase::Categories => self.advance(Phase::Tags),
            Phase::Tags if n <= TAGS => item_events(self.tag(n), &mut out)?,
            Phase::Tags => self.advance(Phase::Articles),
            Phase::Articles if n <= self.params.articles => item_events(self.article(n), &mut out)?,
            Phase::Articles => self.advance(Phase::Comments),
            Phase::Comments if n <= 2 * self.params.articles.min(COMMENTED_ARTICLES) => {
                out.push(self.comment((n - 1) / 2 + 1, (n - 1) % 2 + 1)?.event()?);
            }
            Phase::Comments => self.advance(Phase::Views),
            Phase::Views if n <= self.params.views => out.push(self.view(n)?),
            Phase::Views | Phase::Done => self.phase = Phase::Done,
        }
        self.pending.extend(out.drain(..));
        self.buffer = out;
        Ok(())
    }

    /// An item of `entity` (whose type is `content_type`), published at its creation time
    /// unless it is a draft article.
    fn item<'a>(
        &'a self,
        content_type: &'a (TypeName, TypeDefinition),
        entity: Entity,
        (n, id, at): (u64, ContentId, DateTime<Utc>),
        fields: Value,
    ) -> Item<'a> {
        let fields = match fields {
            Value::Object(map) => map,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => Map::new(),
        };
        let draft = entity == Entity::Article && is_draft(n);
        let lifecycle = if draft { Lifecycle::Draft } else { Lifecycle::Published(at) };
        Item { dataset: DATASET, entity, number: n, id, content_type, created_at: at, fields, lifecycle }
    }

    fn author(&self, n: u64) -> Item<'_> {
        let fields = json!({
            "name": format!("Author {n}"),
            "bio": format!("Author {n} writes about category {}.", n % CATEGORIES + 1),
        });
        self.item(&self.types.author, Entity::Author, (n, author_id(n), setup() + seconds(n)), fields)
    }

    fn category(&self, n: u64) -> Item<'_> {
        let mut fields = json!({ "name": format!("Category {n}") });
        if let (Some(parent), Some(map)) = (category_parent(n), fields.as_object_mut()) {
            map.insert("parent".into(), json!(category_id(parent).0));
        }
        let at = setup() + seconds(20_000 + n);
        self.item(&self.types.category, Entity::Category, (n, category_id(n), at), fields)
    }

    fn tag(&self, n: u64) -> Item<'_> {
        let at = setup() + seconds(30_000 + n);
        self.item(&self.types.tag, Entity::Tag, (n, tag_id(n), at), json!({ "name": format!("tag-{n}") }))
    }

    fn article(&self, a: u64) -> Item<'_> {
        let tags: Vec<Value> = tags_of(a).into_iter().map(|(_, tag)| json!(tag_id(tag).0)).collect();
        let fields = json!({
            "title": format!("Article {a}"),
            "summary": self.text.summary(a),
            "body": self.text.body(a),
            "author": author_id(author_of(a)).0,
            "category": category_id(category_of(a)).0,
            "tags": tags,
        });
        self.item(&self.types.article, Entity::Article, (a, article_id(a), published_at(a)), fields)
    }

    fn comment(&self, a: u64, j: u64) -> Result<Comment, SeedError> {
        Ok(Comment {
            dataset: DATASET,
            number: comment_number(a, j),
            article: article_id(a),
            article_type: self.types.article.0.clone(),
            parent: None,
            author: UserId::parse(comment_user(a, j).to_string())?,
            body: self.text.comment(a, j),
            at: published_at(a) + Duration::hours(i64::try_from(j).unwrap_or(0)),
        })
    }

    fn view(&self, k: u64) -> Result<ImportedEvent, SeedError> {
        let (user, article) = viewed(k, self.params.articles);
        let user = UserId::parse(user.to_string())?;
        let item = (&self.types.article.0, article_id(article));
        view(DATASET, k, item, &user, view_version(k), v0() + seconds(k))
    }
}

impl Iterator for BenchEvents {
    type Item = Result<ImportedEvent, SeedError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.phase == Phase::Done {
                return None;
            }
            if let Err(error) = self.fill() {
                self.phase = Phase::Done;
                return Some(Err(error));
            }
        }
    }
}

#[cfg(test)]
#[path = "bench_tests.rs"]
mod tests;
