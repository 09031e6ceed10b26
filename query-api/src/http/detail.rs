//! `GET /v1/content/{type}/{id-or-slug}`: one item's document with its counters.

use super::respond::{self, CONTENT};
use crate::cache::Dep;
use crate::error::{BadInput, QueryError};
use crate::plan::{Audience, COUNTERS, DOCUMENT_MEMBERS, STATUSES};
use crate::render::{self, Counters};
use crate::request::params;
use crate::sql::lookups::{self, ItemRef};
use crate::state::QueryState;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

/// One item.
#[utoipa::path(
    get,
    path = "/v1/content/{type}/{id_or_slug}",
    tag = "query",
    params(
        ("type" = String, Path, description = "The content type"),
        ("id_or_slug" = String, Path, description = "The item's id, or its slug"),
        ("fields" = Option<String>, Query, description = "Comma-separated members to return (id always comes)"),
        ("Folio-Min-Position" = Option<u64>, Header, description = "Wait until the read models reached this position"),
    ),
    responses(
        (status = 200, description = "`{\"data\": document}` with views, likes, shares, bookmarks, comments"),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "Bad parameter", body = infra::http::Problem),
        (status = 404, description = "No such item visible to this caller", body = infra::http::Problem),
    )
)]
pub async fn detail(
    state: web::Data<QueryState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, QueryError> {
    let (type_name, item) = path.into_inner();
    params::checked("type", &type_name)?;
    params::checked("id", &item)?;
    let read = respond::begin(&state, &req, CONTENT).await?;
    let caller = &read.caller;
    let definition = state.catalog.lookup(&state.db, &type_name, read.freshness).await?;
    let mut fields = None;
    for (name, value) in params::pairs(req.query_string())? {
        match name.as_str() {
            "fields" => {
                let chosen: Vec<String> =
                    value.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect();
                for f in &chosen {
                    let known = DOCUMENT_MEMBERS.contains(&f.as_str())
                        || COUNTERS.contains(&f.as_str())
                        || definition.fields.iter().any(|d| d.name.as_str() == f);
                    if !known {
                        return Err(BadInput::new(
                            "unknown_field",
                            "fields",
                            format!("`{f}` is not a member of this type"),
                        )
                        .into());
                    }
                }
                fields = Some(chosen);
            }
            _ => return Err(BadInput::new("unknown_parameter", &name, "detail takes only `fields`").into()),
        }
    }
    let item = match Uuid::try_parse(&item) {
        Ok(id) => ItemRef::Id(id),
        Err(_) => ItemRef::Slug(item),
    };
    let visible: &[&'static str] = match caller.audience() {
        Audience::Public => &["published"],
        Audience::Editor => &STATUSES,
    };
    let state = state.into_inner();
    let build = || async {
        let rows = state.db.fetch(&lookups::detail(state.db.dialect(), &type_name, &item, visible)).await?;
        let row = rows.first().ok_or(QueryError::NotFound("item"))?;
        let id = row.uuid(0)?;
        let counters = Counters {
            views: row.count(2)?,
            likes: row.count(3)?,
            shares: row.count(4)?,
            bookmarks: row.count(5)?,
            comments: row.count(6)?,
        };
        let mut body = String::with_capacity(4096);
        body.push_str("{\"data\":");
        render::document(&mut body, row.str(1)?, &counters, fields.as_deref())?;
        body.push('}');
        let mut deps = vec![Dep::Item(id)];
        if matches!(item, ItemRef::Slug(_)) {
            // Another item of the type may take the slug.
            deps.push(Dep::Type(type_name.clone()));
        }
        Ok((body, deps))
    };
    respond::serve(&state, &req, &read, build).await
}
