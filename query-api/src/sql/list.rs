//! A [`ListPlan`] as SQL: one statement that returns a page (one row more than asked, to know
//! whether there is a next page), and optionally one that counts.
//!
//! The statement is driven by the index that yields rows in the requested order, so a page is
//! one index range however deep the cursor is:
//! - sorted by a field: `content_values (type, field, status, value, item_id)`;
//! - newest first with a relation filter (by tag, by category subtree):
//!   `content_refs (target, field, status, type, published_at, item_id)`; on PostgreSQL, a page
//!   by that relation alone reads the cards its rows carry and never joins `content_items`
//!   ([`cards_from_refs`]);
//! - otherwise `content_items (type, status, published_at, id)`.
//!
//! NULL sorts lowest. When the key can be NULL the page is the union of two ranges, the rows
//! with a key and the rows without (each an index range, each limited), in sort order.

use super::conditions::write_condition;
use super::{Arg, Dialect, Sql};
use crate::plan::{Column, ListPlan, Operand, SortKey, TimeColumn, COUNTERS};
use crate::request::cursor::{Cursor, KeyValue};
use crate::request::params::Op;
use crate::request::search;
use uuid::Uuid;

/// The columns every list statement returns, in this order.
pub const COLUMNS: &str = "id, document, views, likes, shares, bookmarks, comments, k";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Driver<'a> {
    Items,
    Refs { field: &'a str, target: Uuid, consumed: usize },
    Values { field: &'a str, text: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    WithKey,
    WithoutKey,
}

pub fn driver_of(plan: &ListPlan) -> &'static str {
    match driver(plan) {
        Driver::Items => "items",
        Driver::Refs { .. } => "refs",
        Driver::Values { .. } => "values",
    }
}

fn driver(plan: &ListPlan) -> Driver<'_> {
    if let SortKey::Value { field, text } = &plan.sort.key {
        return Driver::Values { field, text: *text };
    }
    if plan.sort.key == SortKey::Time(TimeColumn::Published) && plan.statuses.len() == 1 && plan.search.is_none() {
        let relation =
            plan.conditions.iter().enumerate().find_map(|(i, c)| match (&c.column, c.op, c.operands.as_slice()) {
                (Column::Relation { field }, Op::Eq, [Operand::Uuid(target)]) => Some((i, field, *target)),
                _ => None,
            });
        if let Some((consumed, field, target)) = relation {
            return Driver::Refs { field, target, consumed };
        }
    }
    Driver::Items
}

/// The page statement.
pub fn page(dialect: Dialect, plan: &ListPlan, cursor: Option<&Cursor>) -> Sql {
    let driver = driver(plan);
    let mut sql = Sql::new(dialect);
    search_cte(&mut sql, plan);
    let descending = plan.sort.descending;
    let parts: Vec<Part> = match (plan.sort.nullable, descending) {
        (false, _) => vec![Part::WithKey],
        (true, true) => vec![Part::WithKey, Part::WithoutKey],
        (true, false) => vec![Part::WithoutKey, Part::WithKey],
    };
    let cursor_part = cursor.map(|c| if c.key == KeyValue::Null { Part::WithoutKey } else { Part::WithKey });
    let start = cursor_part.and_then(|p| parts.iter().position(|q| *q == p)).unwrap_or(0);
    let parts = &parts[start..];
    let fetch = plan.limit + 1;
    if one_range_whatever_the_values(plan, driver) {
        sql.plan_once();
    }
    if let [only] = parts {
        select(&mut sql, plan, driver, *only, cursor.filter(|_| cursor_part == Some(*only)), None);
        page_limit(&mut sql, driver, fetch);
        return sql;
    }
    sql.push("SELECT * FROM (");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT * FROM (");
        select(&mut sql, plan, driver, *part, cursor.filter(|_| cursor_part == Some(*part)), Some(i));
        page_limit(&mut sql, driver, fetch);
        sql.push(&format!(") AS p{i}"));
    }
    let dir = if descending { "DESC" } else { "ASC" };
    sql.push(&format!(") AS pages ORDER BY part, k {dir}, id {dir}")).limit(fetch);
    sql
}

/// Whether the page is one index range in publish order whatever the values: no search, no
/// condition but the relation the driver consumed. Its plan can then be made once
/// ([`super::Planning::Generic`]); with filters or search, how selective the values are decides
/// the best plan.
fn one_range_whatever_the_values(plan: &ListPlan, driver: Driver<'_>) -> bool {
    let consumed = usize::from(matches!(driver, Driver::Refs { .. }));
    plan.search.is_none() && plan.conditions.len() == consumed && matches!(plan.sort.key, SortKey::Time(_))
}

/// Whether the page takes its entries' cards from the `content_refs` rows that drive it, without
/// joining `content_items`: on PostgreSQL (whose rows carry their item's list card, projection
/// migration 0011), newest first by one relation and nothing else, as cards. At full size this
/// leaves out 21 primary-key probes of `content_items` per page (173 -> 113 buffers for by_tag).
/// SQLite's `content_refs` is a `WITHOUT ROWID` table, whose rows must stay small, so it joins.
fn cards_from_refs(dialect: Dialect, plan: &ListPlan, driver: Driver<'_>) -> bool {
    dialect == Dialect::Postgres
        && plan.cards
        && matches!(driver, Driver::Refs { .. })
        && one_range_whatever_the_values(plan, driver)
}

/// The page's limit. Driven by `content_items`, a literal (see [`Sql::limit`]). Driven by
/// `content_refs` or `content_values`, a parameter: the generic plan, which cannot see which tag
/// or field is asked for, then assumes a large limit and reads the driver's index range; with a
/// literal 21 it may instead walk the whole type's list hoping to meet 21 matches early (by_tag
/// fell from ~2,000 to ~600 req/s on the quick dataset). By relation alone the page is planned
/// generically ([`one_range_whatever_the_values`]; full-size plan checked in perf/RESULTS.md); sorted
/// by a field, per value.
fn page_limit(sql: &mut Sql, driver: Driver<'_>, fetch: u32) {
    match driver {
        Driver::Items => {
            sql.limit(fetch);
        }
        Driver::Refs { .. } | Driver::Values { .. } => {
            sql.push(" LIMIT ").bind(Arg::I64(i64::from(fetch)));
        }
    }
}

/// The count statement (exact), or its plan (estimate) when `explain`.
pub fn count(dialect: Dialect, plan: &ListPlan, explain: bool) -> Sql {
    let mut sql = Sql::new(dialect);
    if explain {
        sql.push("EXPLAIN (FORMAT JSON) ");
    }
    search_cte(&mut sql, plan);
    sql.push("SELECT count(*)");
    from_where(&mut sql, plan, driver(plan), false);
    sql
}

/// SQLite ranks with bm25(), which must run in the FTS query itself: it is materialized first.
fn search_cte(sql: &mut Sql, plan: &ListPlan) {
    if let (Dialect::Sqlite, Some(words)) = (sql.dialect, &plan.search) {
        sql.push("WITH m AS MATERIALIZED (SELECT rowid AS rid, -bm25(content_search, 10.0, 1.0) AS rank FROM content_search WHERE content_search MATCH ")
            .bind(Arg::Text(search::sqlite_query(words)))
            .push(") ");
    }
}

fn key_expr(sql: &mut Sql, plan: &ListPlan, driver: Driver<'_>) {
    match (&plan.sort.key, driver) {
        (SortKey::Value { .. }, Driver::Values { text: true, .. }) => sql.push("d.txt"),
        (SortKey::Value { .. }, _) => sql.push("d.num"),
        (SortKey::Time(TimeColumn::Published), Driver::Refs { .. }) => sql.push("d.published_at"),
        (SortKey::Time(column), _) => sql.push("ci.").push(column.column()),
        (SortKey::Rank, _) => match sql.dialect {
            Dialect::Sqlite => sql.push("m.rank"),
            Dialect::Postgres => {
                let words = plan.search.as_deref().unwrap_or_default();
                sql.push("ts_rank(ci.search, ")
                    .bind(Arg::Text(search::postgres_query(words)))
                    .push("::tsquery)::float8")
            }
        },
    };
}

fn id_expr(driver: Driver<'_>) -> &'static str {
    match driver {
        Driver::Items => "ci.id",
        Driver::Refs { .. } | Driver::Values { .. } => "d.item_id",
    }
}

fn select(sql: &mut Sql, plan: &ListPlan, driver: Driver<'_>, part: Part, cursor: Option<&Cursor>, tag: Option<usize>) {
    sql.push(if cards_from_refs(sql.dialect, plan, driver) {
        "SELECT d.item_id AS id, d.card AS document, "
    } else if plan.cards {
        "SELECT ci.id AS id, COALESCE(ci.card, ci.document) AS document, "
    } else {
        "SELECT ci.id AS id, ci.document AS document, "
    });
    let hidden = match sql.dialect {
        Dialect::Postgres => "NULL::bigint",
        Dialect::Sqlite => "NULL",
    };
    for counter in COUNTERS {
        let value = if plan.shows(counter) { format!("c.{counter}") } else { hidden.to_owned() };
        sql.push(&format!("{value} AS {counter}, "));
    }
    key_expr(sql, plan, driver);
    sql.push(" AS k");
    if let Some(tag) = tag {
        sql.push(&format!(", {tag} AS part"));
    }
    from_where(sql, plan, driver, shows_counters(plan));
    let id = id_expr(driver);
    if plan.sort.nullable {
        sql.push(" AND ");
        key_expr(sql, plan, driver);
        sql.push(if part == Part::WithKey { " IS NOT NULL" } else { " IS NULL" });
    }
    let descending = plan.sort.descending;
    let (lt, dir) = if descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(cursor) = cursor {
        sql.push(" AND ");
        match &cursor.key {
            KeyValue::Null => {
                sql.push(id).push(&format!(" {lt} ")).bind(Arg::Uuid(cursor.id));
            }
            key @ (KeyValue::Num(_) | KeyValue::Int(_) | KeyValue::Text(_)) => {
                sql.push("(");
                key_expr(sql, plan, driver);
                sql.push(", ").push(id).push(&format!(") {lt} ("));
                bind_key(sql, key);
                sql.push(", ").bind(Arg::Uuid(cursor.id)).push(")");
            }
        }
    }
    let nulls = match (sql.dialect, descending) {
        (Dialect::Sqlite, _) => "",
        (Dialect::Postgres, true) => " NULLS LAST",
        (Dialect::Postgres, false) => " NULLS FIRST",
    };
    sql.push(" ORDER BY ");
    key_expr(sql, plan, driver);
    sql.push(&format!(" {dir}{nulls}, {id} {dir}"));
}

/// Whether the page shows any of the counters. Those it does not show are selected as NULL, and
/// a page that shows none does not join `item_counters` at all: that join is a primary-key probe
/// per row, about a third of PostgreSQL's work for a page of 21 cards at full size (pgbench,
/// perf/RESULTS.md).
fn shows_counters(plan: &ListPlan) -> bool {
    COUNTERS.iter().any(|counter| plan.shows(counter))
}

fn bind_key(sql: &mut Sql, key: &KeyValue) {
    match key {
        KeyValue::Int(micros) => sql.bind_time(*micros),
        KeyValue::Num(n) => sql.bind(Arg::F64(*n)),
        KeyValue::Text(t) => sql.bind(Arg::Text(t.clone())),
        KeyValue::Null => sql.push("NULL"),
    };
}

fn bind_statuses(sql: &mut Sql, column: &str, statuses: &[&'static str]) {
    if let [only] = statuses {
        sql.push(column).push(" = ").bind(Arg::Text((*only).to_owned()));
    } else {
        sql.bind_in(column, statuses.iter().map(|s| Arg::Text((*s).to_owned())).collect());
    }
}

/// The page's tables and conditions; `item_counters` joined only `with_counters` (a count never
/// reads them).
fn from_where(sql: &mut Sql, plan: &ListPlan, driver: Driver<'_>, with_counters: bool) {
    let from_refs = cards_from_refs(sql.dialect, plan, driver);
    sql.push(match (from_refs, driver) {
        (true, _) => " FROM content_refs d",
        (false, Driver::Items) => " FROM content_items ci",
        (false, Driver::Refs { .. }) => " FROM content_refs d JOIN content_items ci ON ci.id = d.item_id",
        (false, Driver::Values { .. }) => " FROM content_values d JOIN content_items ci ON ci.id = d.item_id",
    });
    if with_counters {
        sql.push(if from_refs {
            " LEFT JOIN item_counters c ON c.item_id = d.item_id"
        } else {
            " LEFT JOIN item_counters c ON c.item_id = ci.id"
        });
    }
    if sql.dialect == Dialect::Sqlite && plan.search.is_some() {
        sql.push(" JOIN m ON m.rid = ci.rowid");
    }
    sql.push(" WHERE ");
    let mut consumed = None;
    match driver {
        Driver::Items => {
            sql.push("ci.type = ").bind(Arg::Text(plan.type_name.clone())).push(" AND ");
            bind_statuses(sql, "ci.status", &plan.statuses);
        }
        Driver::Refs { field, target, consumed: i } => {
            consumed = Some(i);
            sql.push("d.target = ").bind(Arg::Uuid(target));
            sql.push(" AND d.field = ").bind(Arg::Text(field.to_owned()));
            sql.push(" AND ");
            bind_statuses(sql, "d.status", &plan.statuses);
            sql.push(" AND d.type = ").bind(Arg::Text(plan.type_name.clone()));
        }
        Driver::Values { field, .. } => {
            sql.push("d.type = ").bind(Arg::Text(plan.type_name.clone()));
            sql.push(" AND d.field = ").bind(Arg::Text(field.to_owned()));
            sql.push(" AND ");
            bind_statuses(sql, "d.status", &plan.statuses);
        }
    }
    if let (Dialect::Postgres, Some(words)) = (sql.dialect, &plan.search) {
        sql.push(" AND ci.search @@ ").bind(Arg::Text(search::postgres_query(words))).push("::tsquery");
    }
    for (i, condition) in plan.conditions.iter().enumerate() {
        if Some(i) != consumed {
            sql.push(" AND ");
            write_condition(sql, condition);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan, Audience};
    use crate::request::params::parse_list;
    use events::schema::TypeDefinition;
    use serde_json::json;

    fn page_text(dialect: Dialect, query: &str) -> String {
        let definition: TypeDefinition = serde_json::from_value(json!({"fields": [
            {"name": "title", "kind": "string", "required": true},
            {"name": "body", "kind": "text", "listed": false},
            {"name": "featured", "kind": "boolean", "filterable": true},
            {"name": "tags", "kind": "references", "target": "tag", "filterable": true}
        ]}))
        .unwrap();
        let params = parse_list(query).unwrap();
        page(dialect, &plan("article", &definition, Audience::Public, &params).unwrap(), None).text
    }

    #[test]
    fn a_page_selects_the_counters_it_shows_and_joins_them_only_if_it_shows_one() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let every = page_text(dialect, "");
            assert!(every.contains("c.views AS views") && every.contains("c.comments AS comments"), "{every}");
            let some = page_text(dialect, "fields=title,likes");
            assert!(some.contains("c.likes AS likes") && some.contains("NULL"), "{some}");
            assert!(!some.contains("c.views") && some.contains("item_counters"), "{some}");
            let none = page_text(dialect, &format!("filter[tags]={}&fields=title", Uuid::nil()));
            assert!(!none.contains("item_counters") && !none.contains("c."), "{none}");
            let definition: TypeDefinition =
                serde_json::from_value(json!({"fields": [{"name": "title", "kind": "string"}]})).unwrap();
            let counted = plan("article", &definition, Audience::Public, &parse_list("count=exact").unwrap()).unwrap();
            let text = count(dialect, &counted, false).text;
            assert!(!text.contains("item_counters"), "a count reads no counters: {text}");
        }
    }

    #[test]
    fn only_a_postgres_page_by_one_relation_as_cards_reads_the_cards_of_its_reference_rows() {
        let tag = format!("filter[tags]={}", Uuid::nil());
        let by_tag = page_text(Dialect::Postgres, &tag);
        assert!(by_tag.contains("d.card AS document") && !by_tag.contains("content_items"), "{by_tag}");
        for (dialect, query) in [
            (Dialect::Sqlite, tag.clone()),
            (Dialect::Postgres, format!("{tag}&filter[featured]=true")),
            (Dialect::Postgres, format!("{tag}&q=ferries")),
            (Dialect::Postgres, format!("{tag}&fields=title,body")),
        ] {
            let text = page_text(dialect, &query);
            assert!(text.contains("content_items ci"), "{query} reads the items: {text}");
        }
    }
}
