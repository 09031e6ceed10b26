//! The database alone: each shape's statement as the query API renders it, as a pgbench
//! script; and one sample plan of each.

use super::data::Data;
use super::dataset::published_at_or_before;
use super::setup::{encode, Setup};
use super::{CARD, TAGS, USERS};
use crate::Error;
use query_api::catalog::Catalog;
use query_api::plan::{Audience, ListPlan};
use query_api::request::cursor::{Cursor, KeyValue};
use query_api::sql::lookups::{self, ItemRef};
use query_api::sql::{list, Arg, Planning, Sql};
use query_api::ReadDb;
use sqlx::{Connection, PgConnection};
use std::fmt::Write as _;
use uuid::Uuid;

pub const SENTINEL_UUID: Uuid = Uuid::max();
pub const SENTINEL_TIME: i64 = 4_242_424_242_424_242;
pub const SENTINEL_SLUG: &str = "sentinel-slug";
pub const SENTINEL_USER: &str = "sentinel-user";

pub async fn list_plan(db: &ReadDb, query: &str) -> Result<ListPlan, Error> {
    let definition = Catalog::default().get(db, "article").await.map_err(|e| format!("{e}"))?;
    let params = query_api::request::params::parse_list(query).map_err(|e| format!("{e:?}"))?;
    Ok(query_api::plan::plan("article", &definition, Audience::Public, &params).map_err(|e| format!("{e:?}"))?)
}

pub fn list_query(tag: Option<Uuid>) -> String {
    let mut query = format!("limit=20&fields={}", encode(CARD));
    if let Some(tag) = tag {
        let _ = write!(query, "&filter%5Btags%5D={tag}");
    }
    query
}

/// Each shape's statement as the query API renders it, with the given parameters.
#[derive(Debug)]
pub struct Statements {
    pub list20: Sql,
    pub list20_cursor: Sql,
    pub by_tag: Sql,
    pub detail: Sql,
    pub history: Sql,
    pub state: Sql,
}

impl Statements {
    pub async fn render(
        db: &ReadDb,
        tag: Uuid,
        cursor: &Cursor,
        slug: &str,
        user: &str,
        items: &[Uuid],
    ) -> Result<Self, Error> {
        let dialect = db.dialect();
        let plan = list_plan(db, &list_query(None)).await?;
        let tagged = list_plan(db, &list_query(Some(tag))).await?;
        Ok(Self {
            list20: list::page(dialect, &plan, None),
            list20_cursor: list::page(dialect, &plan, Some(cursor)),
            by_tag: list::page(dialect, &tagged, None),
            detail: lookups::detail(dialect, "article", &ItemRef::Slug(slug.to_owned()), &["published"]),
            history: lookups::history(dialect, user, None, &["published"], 21),
            state: lookups::state(dialect, user, items),
        })
    }

    pub fn get(&self, shape: &str) -> Option<&Sql> {
        Some(match shape {
            "list20" => &self.list20,
            "list20_cursor" => &self.list20_cursor,
            "by_tag" => &self.by_tag,
            "detail" => &self.detail,
            "history" => &self.history,
            "state" => &self.state,
            _ => return None,
        })
    }
}

/// The pgbench script of each shape: the query API's statement with its random parameters
/// drawn by pgbench and looked up in SQL (one indexed probe each; `folio_bench.state_items`
/// holds the state users' 20 article ids), and how the query API has PostgreSQL plan it (the
/// ceiling runs with the same `plan_cache_mode`).
pub async fn pgbench_scripts(
    db: &ReadDb,
    articles: u64,
    state_users: u64,
) -> Result<Vec<(String, String, Planning)>, Error> {
    let cursor = Cursor { key: KeyValue::Int(SENTINEL_TIME), id: SENTINEL_UUID };
    let sql = Statements::render(db, SENTINEL_UUID, &cursor, SENTINEL_SLUG, SENTINEL_USER, &[SENTINEL_UUID]).await?;
    let article = "FROM content_items WHERE type = 'article' AND slug = 'article-' || CAST(:p AS text)";
    let pick_published = format!("\\set r random(1, {articles})\n\\set p :r - 1 + least(:r % 10, 1)\n");
    let user = (Arg::Text(SENTINEL_USER.into()), "CAST(:u AS text)".to_owned());
    let scripts = vec![
        ("list20", String::new(), crate::pgbench::inline(&sql.list20, &[])?),
        (
            "list20_cursor",
            pick_published.clone(),
            crate::pgbench::inline(
                &sql.list20_cursor,
                &[
                    (Arg::Time(SENTINEL_TIME), format!("SELECT published_at {article}")),
                    (Arg::Uuid(SENTINEL_UUID), format!("SELECT id {article}")),
                ],
            )?,
        ),
        (
            "by_tag",
            format!("\\set t random(1, {TAGS})\n"),
            crate::pgbench::inline(
                &sql.by_tag,
                &[(
                    Arg::Uuid(SENTINEL_UUID),
                    "SELECT id FROM content_items WHERE type = 'tag' AND slug = 'tag-' || CAST(:t AS text)".into(),
                )],
            )?,
        ),
        (
            "detail",
            pick_published,
            crate::pgbench::inline(
                &sql.detail,
                &[(Arg::Text(SENTINEL_SLUG.into()), "'article-' || CAST(:p AS text)".into())],
            )?,
        ),
        (
            "history",
            format!("\\set u random(1, {USERS})\n"),
            crate::pgbench::inline(&sql.history, std::slice::from_ref(&user))?,
        ),
        (
            "state",
            format!("\\set i random(0, {})\n\\set u (:i * 7919) % {USERS} + 1\n", state_users.saturating_sub(1)),
            crate::pgbench::inline(
                &sql.state,
                &[
                    user,
                    (
                        Arg::UuidArray(vec![SENTINEL_UUID]),
                        "(SELECT items FROM folio_bench.state_items WHERE user_id = :u)::uuid[]".into(),
                    ),
                ],
            )?,
        ),
    ];
    scripts
        .into_iter()
        .map(|(name, head, body)| {
            let planning = sql.get(name).ok_or("no statement")?.planning;
            Ok((name.to_owned(), format!("{head}{body}"), planning))
        })
        .collect()
}

/// The state users' article ids, for pgbench.
pub async fn store_state_items(url: &str, state: &[(u64, Vec<Uuid>)]) -> Result<(), Error> {
    let mut db = PgConnection::connect(url).await?;
    sqlx::query("CREATE SCHEMA IF NOT EXISTS folio_bench").execute(&mut db).await?;
    sqlx::query("DROP TABLE IF EXISTS folio_bench.state_items").execute(&mut db).await?;
    sqlx::query("CREATE TABLE folio_bench.state_items (user_id integer PRIMARY KEY, items uuid[] NOT NULL)")
        .execute(&mut db)
        .await?;
    for (user, items) in state {
        sqlx::query("INSERT INTO folio_bench.state_items VALUES ($1, $2)")
            .bind(i32::try_from(*user)?)
            .bind(items.as_slice())
            .execute(&mut db)
            .await?;
    }
    sqlx::query("ANALYZE folio_bench.state_items").execute(&mut db).await?;
    Ok(())
}

/// One sample of each shape's statement with its plan (PostgreSQL: EXPLAIN ANALYZE, BUFFERS;
/// SQLite: EXPLAIN QUERY PLAN), for the record.
pub async fn plans(data: &Data, setup: &Setup, articles: u64) -> Result<String, Error> {
    let db = &data.read;
    let middle = published_at_or_before(articles / 2 + 1);
    let mut cursor_row = Sql::new(db.dialect());
    cursor_row
        .push("SELECT id, published_at FROM content_items WHERE type = 'article' AND slug = ")
        .bind(Arg::Text(format!("article-{middle}")));
    let rows = db.fetch(&cursor_row).await.map_err(|e| format!("{e}"))?;
    let row = rows.first().ok_or("no middle article")?;
    let at = row.opt_time(1).map_err(|e| format!("{e}"))?.ok_or("the middle article is unpublished")?;
    let cursor = Cursor { key: KeyValue::Int(at), id: row.uuid(0).map_err(|e| format!("{e}"))? };
    let (user, items) = setup.state.first().ok_or("no state users")?;
    let sql = Statements::render(db, setup.tags[6], &cursor, "article-12345", &user.to_string(), items).await?;
    let mut out = String::new();
    let samples = [
        ("list20", "newest 20"),
        ("list20_cursor", "after the cursor of article <N/2+1>"),
        ("by_tag", "tag 7"),
        ("detail", "slug article-12345"),
        ("history", "user 42"),
        ("state", "the first state user"),
    ];
    for (shape, sample) in samples {
        let mut statement = sql.get(shape).ok_or("no statement")?.clone();
        if shape == "history" {
            statement = lookups::history(db.dialect(), "42", None, &["published"], 21);
        }
        let _ = writeln!(out, "## {} {shape} ({sample})\n\n{}\n", data.store.profile(), statement.text);
        let lines = match db {
            ReadDb::Postgres { .. } => {
                let mut explain = statement.clone();
                explain.text = format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.text);
                // Twice: the second run is the warm one.
                let _ = db.fetch(&explain).await;
                let rows = db.fetch(&explain).await.map_err(|e| format!("{e}"))?;
                rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{e}"))?
            }
            ReadDb::Sqlite(_) => db.explain(&statement).await.map_err(|e| format!("{e}"))?,
        };
        let _ = writeln!(out, "```\n{}\n```\n", lines.join("\n"));
    }
    Ok(out)
}
