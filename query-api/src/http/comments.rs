//! `GET /v1/content/{type}/{id}/comments`: an item's comments, threaded, paged by cursor.

use super::respond::{self, COMMENTS};
use crate::cache::Dep;
use crate::error::{BadInput, QueryError};
use crate::plan::Audience;
use crate::render;
use crate::request::cursor::{Cursor, KeyValue};
use crate::request::params::{self, DEFAULT_LIMIT};
use crate::sql::lookups;
use crate::state::QueryState;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

/// An item's comments, depth first: each thread in posting order, replies under their parent.
#[utoipa::path(
    get,
    path = "/v1/content/{type}/{id}/comments",
    tag = "query",
    params(
        ("type" = String, Path, description = "The content type"),
        ("id" = Uuid, Path, description = "The item's id"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("after" = Option<String>, Query, description = "The `next` cursor of the previous page"),
        ("Folio-Min-Position" = Option<u64>, Header, description = "Wait until the read models reached this position"),
    ),
    responses(
        (status = 200, description = "`{\"data\": [{id, parent, depth, author, body, created_at, edited_at}], \"next\"}`; removed comments are left out"),
        (status = 400, description = "Bad parameter", body = infra::http::Problem),
        (status = 404, description = "No such item visible to this caller", body = infra::http::Problem),
    )
)]
pub async fn comments(
    state: web::Data<QueryState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, QueryError> {
    let (type_name, item) = path.into_inner();
    params::checked("type", &type_name)?;
    let item = Uuid::try_parse(&item).map_err(|_| BadInput::new("invalid_id", "id", "an item id is a UUID"))?;
    let read = respond::begin(&state, &req, COMMENTS).await?;
    let caller = &read.caller;
    state.catalog.lookup(&state.db, &type_name, read.freshness).await?;
    let scope = format!("comments|{type_name}|{item}");
    let (mut limit, mut cursor) = (DEFAULT_LIMIT, None);
    for (name, value) in params::pairs(req.query_string())? {
        match name.as_str() {
            "limit" => limit = params::parse_limit(&value)?,
            "after" => cursor = Some(state.cursors.decode(&scope, &value)?),
            _ => return Err(BadInput::new("unknown_parameter", &name, "comments take limit and after").into()),
        }
    }
    let audience = caller.audience();
    let state = state.into_inner();
    let build = || async {
        let fetch = limit + 1;
        let sql = lookups::comments(state.db.dialect(), &type_name, item, cursor.as_ref(), fetch);
        let rows = state.db.fetch(&sql).await?;
        let status = rows.first().ok_or(QueryError::NotFound("item"))?.text(0)?;
        if audience == Audience::Public && status != "published" {
            return Err(QueryError::NotFound("item"));
        }
        let mut body = String::from("{\"data\":[");
        let mut last = None;
        for (i, row) in rows.iter().filter(|r| r.opt_uuid(1).ok().flatten().is_some()).take(limit as usize).enumerate()
        {
            if i > 0 {
                body.push(',');
            }
            let id = row.uuid(1)?;
            let thread = row.text(3)?;
            body.push_str("{\"id\":");
            render::string(&mut body, &id.to_string());
            body.push_str(",\"parent\":");
            match row.opt_uuid(2)? {
                Some(parent) => render::string(&mut body, &parent.to_string()),
                None => body.push_str("null"),
            }
            body.push_str(&format!(",\"depth\":{}", thread.matches('/').count()));
            body.push_str(",\"author\":");
            render::string(&mut body, row.str(4)?);
            body.push_str(",\"body\":");
            render::string(&mut body, &row.text(5)?);
            body.push_str(",\"created_at\":");
            render::time(&mut body, row.opt_time(6)?);
            body.push_str(",\"edited_at\":");
            render::time(&mut body, row.opt_time(7)?);
            body.push('}');
            last = Some((id, thread));
        }
        body.push_str("],\"next\":");
        let more = rows.iter().filter(|r| r.opt_uuid(1).ok().flatten().is_some()).count() > limit as usize;
        let next = match last {
            Some((id, thread)) if more => {
                Some(state.cursors.encode(&scope, &Cursor { key: KeyValue::Text(thread), id }))
            }
            Some(_) | None => None,
        };
        render::next(&mut body, next.as_deref());
        body.push('}');
        Ok((body, vec![Dep::Item(item)]))
    };
    respond::serve(&state, &req, &read, build).await
}
