//! The OpenAPI document of the query API.

use utoipa::OpenApi;

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        super::list::list,
        super::detail::detail,
        super::comments::comments,
        super::users::history,
        super::users::state,
    ),
    tags((name = "query", description = "Reads for sites: lists, search, detail, comments, user history and state. Public reads need no key; editor and admin keys also see drafts and scheduled items; user history and state need a site, editor or admin key."))
)]
pub struct QueryApiDoc;
