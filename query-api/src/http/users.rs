//! A user's view history and state, for the site acting on their behalf.

use super::respond::{self, USERS};
use crate::cache::Dep;
use crate::error::{BadInput, QueryError};
use crate::plan::{Audience, STATUSES};
use crate::render;
use crate::request::cursor::{Cursor, KeyValue};
use crate::request::params::{self, DEFAULT_LIMIT, MAX_LIMIT};
use crate::sql::lookups;
use crate::state::QueryState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::fmt::Write;
use uuid::Uuid;

/// Longest user id accepted (the command API's limit).
const MAX_USER_BYTES: usize = 200;

fn user_of(path: String) -> Result<String, BadInput> {
    params::checked("user", &path)?;
    if path.is_empty() || path.len() > MAX_USER_BYTES {
        return Err(BadInput::new("invalid_user", "user", format!("a user id has 1 to {MAX_USER_BYTES} bytes")));
    }
    Ok(path)
}

fn visible(audience: Audience) -> &'static [&'static str] {
    match audience {
        Audience::Public => &["published"],
        Audience::Editor => &STATUSES,
    }
}

/// The items a user viewed, most recent view first.
#[utoipa::path(
    get,
    path = "/v1/users/{user}/history",
    tag = "query",
    params(
        ("user" = String, Path, description = "The site's user id"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("after" = Option<String>, Query, description = "The `next` cursor of the previous page"),
        ("Folio-Min-Position" = Option<u64>, Header, description = "Wait until the read models reached this position"),
    ),
    responses(
        (status = 200, description = "`{\"data\": [{item: {id, type, slug, ...}, first_viewed_at, last_viewed_at, views, liked, bookmarked}], \"next\"}`"),
        (status = 401, description = "No key, or a bad one", body = infra::http::Problem),
        (status = 403, description = "Only site, editor and admin keys read users", body = infra::http::Problem),
    ),
    security(("key" = []))
)]
pub async fn history(
    state: web::Data<QueryState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, QueryError> {
    let user = user_of(path.into_inner())?;
    let read = respond::begin(&state, &req, USERS).await?;
    let caller = &read.caller;
    caller.may_read_users()?;
    let scope = format!("history|{user}");
    let (mut limit, mut after) = (DEFAULT_LIMIT, None);
    for (name, value) in params::pairs(req.query_string())? {
        match name.as_str() {
            "limit" => limit = params::parse_limit(&value)?,
            "after" => {
                let cursor = state.cursors.decode(&scope, &value)?;
                let KeyValue::Int(at) = cursor.key else {
                    return Err(BadInput::new("invalid_cursor", "after", "the cursor does not fit this query").into());
                };
                after = Some((at, cursor.id));
            }
            _ => return Err(BadInput::new("unknown_parameter", &name, "history takes limit and after").into()),
        }
    }
    let statuses = visible(caller.audience());
    let state = state.into_inner();
    let build = || async {
        let fetch = limit + 1;
        let rows = state.db.fetch(&lookups::history(state.db.dialect(), &user, after, statuses, fetch)).await?;
        let mut deps = vec![Dep::User(user.clone())];
        let embeds: usize = rows.iter().take(limit as usize).map(|row| row.byte_len(6)).sum();
        let mut body = String::with_capacity(embeds + 192 * (limit as usize + 1));
        body.push_str("{\"data\":[");
        let mut last = None;
        for (i, row) in rows.iter().take(limit as usize).enumerate() {
            if i > 0 {
                body.push(',');
            }
            let item = row.uuid(0)?;
            body.push_str("{\"item\":");
            body.push_str(row.str(6)?);
            body.push_str(",\"first_viewed_at\":");
            render::time(&mut body, row.opt_time(1)?);
            body.push_str(",\"last_viewed_at\":");
            let last_viewed = row.opt_time(2)?;
            render::time(&mut body, last_viewed);
            let _ = write!(
                body,
                ",\"views\":{},\"liked\":{},\"bookmarked\":{}}}",
                row.count(3)?,
                row.bool(4)?,
                row.bool(5)?
            );
            deps.push(Dep::Item(item));
            last = last_viewed.map(|at| (at, item));
        }
        body.push_str("],\"next\":");
        let next = match last {
            Some((at, id)) if rows.len() > limit as usize => {
                Some(state.cursors.encode(&scope, &Cursor { key: KeyValue::Int(at), id }))
            }
            Some(_) | None => None,
        };
        render::next(&mut body, next.as_deref());
        body.push('}');
        Ok((body, deps))
    };
    respond::serve(&state, &req, &read, build).await
}

/// A user's state for up to 100 items in one call.
#[utoipa::path(
    get,
    path = "/v1/users/{user}/state",
    tag = "query",
    params(
        ("user" = String, Path, description = "The site's user id"),
        ("items" = String, Query, description = "Comma-separated item ids, 1 to 100"),
        ("Folio-Min-Position" = Option<u64>, Header, description = "Wait until the read models reached this position"),
    ),
    responses(
        (status = 200, description = "`{\"data\": {\"<item id>\": {viewed, views, first_viewed_at, last_viewed_at, liked, bookmarked}}}`, every asked id present"),
        (status = 400, description = "Bad parameter", body = infra::http::Problem),
        (status = 401, description = "No key, or a bad one", body = infra::http::Problem),
        (status = 403, description = "Only site, editor and admin keys read users", body = infra::http::Problem),
    ),
    security(("key" = []))
)]
pub async fn state(
    state: web::Data<QueryState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, QueryError> {
    let user = user_of(path.into_inner())?;
    let read = respond::begin(&state, &req, USERS).await?;
    let caller = &read.caller;
    caller.may_read_users()?;
    let mut items: Option<Vec<Uuid>> = None;
    for (name, value) in params::pairs(req.query_string())? {
        match name.as_str() {
            "items" => {
                let mut ids = Vec::new();
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let id = Uuid::try_parse(part)
                        .map_err(|_| BadInput::new("invalid_value", "items", format!("`{part}` is not an item id")))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                items = Some(ids);
            }
            _ => return Err(BadInput::new("unknown_parameter", &name, "state takes items").into()),
        }
    }
    let items = items
        .filter(|i| !i.is_empty())
        .ok_or_else(|| BadInput::new("missing_items", "items", "list 1 to 100 item ids"))?;
    if items.len() > MAX_LIMIT as usize {
        return Err(BadInput::new("too_many_values", "items", format!("at most {MAX_LIMIT} items")).into());
    }
    let state = state.into_inner();
    let build = || async {
        let rows = state.db.fetch(&lookups::state(state.db.dialect(), &user, &items)).await?;
        let mut found = HashMap::new();
        for row in &rows {
            found.insert(row.uuid(0)?, row);
        }
        let mut body = String::from("{\"data\":{");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            render::string(&mut body, &item.to_string());
            body.push(':');
            match found.get(item) {
                Some(row) => {
                    let views = row.count(3)?;
                    body.push_str(&format!("{{\"viewed\":{},\"views\":{views},\"first_viewed_at\":", views > 0));
                    render::time(&mut body, row.opt_time(1)?);
                    body.push_str(",\"last_viewed_at\":");
                    render::time(&mut body, row.opt_time(2)?);
                    body.push_str(&format!(",\"liked\":{},\"bookmarked\":{}}}", row.bool(4)?, row.bool(5)?));
                }
                None => body.push_str(
                    "{\"viewed\":false,\"views\":0,\"first_viewed_at\":null,\"last_viewed_at\":null,\"liked\":false,\"bookmarked\":false}",
                ),
            }
        }
        body.push_str("}}");
        Ok((body, vec![Dep::User(user.clone())]))
    };
    respond::serve(&state, &req, &read, build).await
}
