//! The OpenAPI document of the command API. Handlers read their bodies as JSON values (to name
//! unknown members precisely), so the body shapes are described here for the document only.

pub use infra::http::{Problem, ProblemField};
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[allow(dead_code)] // documents a body; never built
#[derive(Debug, ToSchema)]
/// A content type: its fields and the field slugs come from.
pub struct TypeDefinitionBody {
    /// `{"name", "kind", "required"?, "filterable"?, "sortable"?, "listed"?, "max_length"?, "values"?, "target"?}`
    /// (`"listed": false` keeps the field out of list entries unless `fields=` names it);
    /// kinds: string, text, rich_text, integer, number, boolean, datetime, enum, json, media,
    /// reference, references, parent.
    #[schema(value_type = Vec<Object>)]
    fields: Vec<Value>,
    slug_from: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct TypeReply {
    #[schema(rename = "type")]
    type_name: String,
    version: u64,
    position: u64,
    definition: TypeDefinitionBody,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct TypeList {
    data: Vec<TypeReply>,
    /// Pass as `after` for the next page; null on the last.
    next: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct ContentBody {
    /// Field name to value; on a revision only the changed fields, `null` clears one.
    #[schema(value_type = Object)]
    fields: Value,
    slug: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct ContentReply {
    id: uuid::Uuid,
    #[schema(rename = "type")]
    type_name: String,
    slug: String,
    /// draft, scheduled, published or archived.
    status: String,
    version: u64,
    position: u64,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct ScheduleBody {
    publish_at: chrono::DateTime<chrono::Utc>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct UserBody {
    /// The site's own id for its user.
    user: String,
    /// Shares only: where it was shared.
    channel: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct EngagementReply {
    user: String,
    id: uuid::Uuid,
    /// `liked` or `bookmarked` on toggles.
    liked: Option<bool>,
    bookmarked: Option<bool>,
    /// Whether this call appended an event (false: it was already so).
    changed: Option<bool>,
    version: u64,
    position: u64,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct CommentBody {
    user: String,
    body: String,
    parent_id: Option<uuid::Uuid>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct CommentRemoval {
    /// From a site key: the author.
    user: Option<String>,
    /// From a moderator.
    reason: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct WriteReply {
    id: uuid::Uuid,
    version: u64,
    position: u64,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct KeyBody {
    /// admin, editor, author, moderator or site.
    role: String,
    label: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct KeyReply {
    id: uuid::Uuid,
    /// Shown only in this response.
    key: String,
    role: String,
    label: Option<String>,
    version: u64,
    position: u64,
}

#[derive(Debug)]
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("folio_<id>_<secret>").build(),
            ),
        );
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Folio command API", description = "Writes: content types, content, comments, engagement, keys. \
        Every 4xx/5xx is application/problem+json with a stable `code`."),
    paths(
        super::types::list, super::types::get, super::types::put,
        super::content::create, super::content::revise, super::content::publish, super::content::unpublish,
        super::content::schedule, super::content::archive,
        super::engagement::view, super::engagement::share, super::engagement::like, super::engagement::unlike,
        super::engagement::bookmark, super::engagement::unbookmark,
        super::comments::post, super::comments::edit, super::comments::remove,
        super::keys::create, super::keys::revoke,
    ),
    components(schemas(
        Problem, ProblemField, TypeDefinitionBody, TypeReply, TypeList, ContentBody, ContentReply, ScheduleBody,
        UserBody, EngagementReply, CommentBody, CommentRemoval, WriteReply, KeyBody, KeyReply
    )),
    modifiers(&BearerKey),
    security(("key" = []))
)]
pub struct CommandApiDoc;
