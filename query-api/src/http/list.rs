//! `GET /v1/content/{type}`: a page of a type's items, filtered, sorted, searched.

use super::respond::{self, CONTENT};
use crate::cache::Dep;
use crate::error::QueryError;
use crate::plan::{self, ListPlan, SortKey};
use crate::render::{self, Counters};
use crate::request::cursor::{Cursor, KeyValue};
use crate::request::params::{self, CountMode};
use crate::sql::{list, Dialect};
use crate::state::QueryState;
use actix_web::{web, HttpRequest, HttpResponse};

/// A page of items.
#[utoipa::path(
    get,
    path = "/v1/content/{type}",
    tag = "query",
    params(
        ("type" = String, Path, description = "The content type"),
        ("filter[field][op]" = Option<String>, Query, description = "Filter: `filter[field]=v` (equals) or `filter[field][op]=v`; op one of eq, ne, in (comma-separated), gt, gte, lt, lte, contains, exists (true/false). Relation fields take the target's id and match a tree target's whole subtree."),
        ("sort" = Option<String>, Query, description = "`field` ascending or `-field` descending: published_at (default, descending), created_at, updated_at, a sortable field, or `relevance` with q. Items lacking the value sort lowest; the id breaks ties."),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("after" = Option<String>, Query, description = "The `next` cursor of the previous page"),
        ("fields" = Option<String>, Query, description = "Comma-separated members to return (id always comes)"),
        ("q" = Option<String>, Query, description = "Full-text search: every word must match; ranked unless sorted"),
        ("count" = Option<String>, Query, description = "`exact` or `estimate`: add the number of matching items"),
        ("Folio-Min-Position" = Option<u64>, Header, description = "Wait until the read models reached this position"),
    ),
    responses(
        (status = 200, description = "`{\"data\": [cards with counters], \"next\": cursor or null, \"count\"?: {\"value\", \"estimated\"}}`; a card is the document without the fields its type defines `\"listed\": false`"),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "Bad parameter", body = infra::http::Problem),
        (status = 401, description = "Bad key", body = infra::http::Problem),
        (status = 503, description = "Folio-Min-Position not reached in time", body = infra::http::Problem),
    )
)]
pub async fn list(
    state: web::Data<QueryState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, QueryError> {
    let type_name = path.into_inner();
    params::checked("type", &type_name)?;
    let params = params::parse_list(req.query_string())?;
    let read = respond::begin(&state, &req, CONTENT).await?;
    let caller = &read.caller;
    let definition = state.catalog.lookup(&state.db, &type_name, read.freshness).await?;
    let plan = plan::plan(&type_name, &definition, caller.audience(), &params)?;
    let cursor = params.after.as_deref().map(|token| state.cursors.decode(&plan.scope, token)).transpose()?;
    if let Some(cursor) = &cursor {
        plan::check_cursor(&plan, cursor)?;
    }
    let state = state.into_inner();
    let build = || page(&state, &plan, cursor.as_ref());
    respond::serve(&state, &req, &read, build).await
}

async fn page(state: &QueryState, plan: &ListPlan, cursor: Option<&Cursor>) -> Result<(String, Vec<Dep>), QueryError> {
    let dialect = state.db.dialect();
    let rows = state.db.fetch(&list::page(dialect, plan, cursor)).await?;
    let limit = plan.limit as usize;
    let mut deps = vec![Dep::Type(plan.type_name.clone())];
    // Sized for the documents and their counters, so that the body is not copied as it grows.
    let documents: usize = rows.iter().take(limit).map(|row| row.byte_len(1)).sum();
    let mut body = String::with_capacity(documents + 128 * (limit + 1));
    body.push_str("{\"data\":[");
    let mut last = None;
    for (i, row) in rows.iter().take(limit).enumerate() {
        if i > 0 {
            body.push(',');
        }
        let id = row.uuid(0)?;
        let counters = Counters {
            views: row.count(2)?,
            likes: row.count(3)?,
            shares: row.count(4)?,
            bookmarks: row.count(5)?,
            comments: row.count(6)?,
        };
        render::document(&mut body, row.str(1)?, &counters, plan.fields.as_deref())?;
        deps.push(Dep::Item(id));
        last = Some((id, row));
    }
    body.push_str("],\"next\":");
    let next = match last {
        Some((id, row)) if rows.len() > limit => {
            let key = match &plan.sort.key {
                SortKey::Time(_) => row.opt_time(7)?.map(KeyValue::Int),
                SortKey::Rank => row.opt_f64(7)?.map(KeyValue::Num),
                SortKey::Value { text: true, .. } => row.opt_text(7)?.map(KeyValue::Text),
                SortKey::Value { text: false, .. } => row.opt_f64(7)?.map(KeyValue::Num),
            };
            Some(state.cursors.encode(&plan.scope, &Cursor { key: key.unwrap_or(KeyValue::Null), id }))
        }
        Some(_) | None => None,
    };
    render::next(&mut body, next.as_deref());
    if let Some(mode) = plan.count {
        let (value, estimated) = count(state, plan, mode, dialect).await?;
        body.push_str(&format!(",\"count\":{{\"value\":{value},\"estimated\":{estimated}}}"));
    }
    body.push('}');
    Ok((body, deps))
}

async fn count(
    state: &QueryState,
    plan: &ListPlan,
    mode: CountMode,
    dialect: Dialect,
) -> Result<(i64, bool), QueryError> {
    if mode == CountMode::Estimate && dialect == Dialect::Postgres {
        let rows = state.db.fetch(&list::count(dialect, plan, true)).await?;
        let explained = rows.first().map(|r| r.json(0)).transpose()?.unwrap_or_default();
        // The planner's row estimate of the aggregate's input.
        let estimate = explained[0]["Plan"]["Plans"][0]["Plan Rows"]
            .as_f64()
            .or_else(|| explained[0]["Plan"]["Plan Rows"].as_f64());
        return Ok((estimate.unwrap_or(0.0).round() as i64, true));
    }
    let rows = state.db.fetch(&list::count(dialect, plan, false)).await?;
    Ok((rows.first().map(|r| r.count(0)).transpose()?.unwrap_or(0), false))
}
