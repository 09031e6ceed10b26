//! The statements other than lists: detail, comments, history, state, and the small lookups the
//! API itself needs (type definitions, keys, checkpoints). Each is one indexed read.

use super::{Arg, Dialect, Sql};
use crate::request::cursor::Cursor;
use uuid::Uuid;

/// How a detail request names its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    Id(Uuid),
    Slug(String),
}

fn statuses(sql: &mut Sql, column: &str, statuses: &[&'static str]) {
    sql.bind_in(column, statuses.iter().map(|s| Arg::Text((*s).to_owned())).collect());
}

/// `id, document, views, likes, shares, bookmarks, comments` of one item, by id or slug. A slug
/// may briefly name two rows while it moves between items in one projected batch: the newest wins.
pub fn detail(dialect: Dialect, type_name: &str, item: &ItemRef, visible: &[&'static str]) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT ci.id, ci.document, c.views, c.likes, c.shares, c.bookmarks, c.comments FROM content_items ci LEFT JOIN item_counters c ON c.item_id = ci.id WHERE ci.type = ")
        .bind(Arg::Text(type_name.to_owned()));
    match item {
        ItemRef::Id(id) => sql.push(" AND ci.id = ").bind(Arg::Uuid(*id)),
        ItemRef::Slug(slug) => sql.push(" AND ci.slug = ").bind(Arg::Text(slug.clone())),
    };
    sql.push(" AND ");
    // SQLite without statistics would take (type, status) over (type, slug) and scan the type;
    // a unary plus keeps the status out of index selection there.
    let status = if dialect == Dialect::Sqlite { "+ci.status" } else { "ci.status" };
    statuses(&mut sql, status, visible);
    sql.push(" ORDER BY ci.position DESC LIMIT 1");
    sql.plan_once();
    sql
}

/// An item's visible comments in thread order after `cursor`: `status, id, parent_id, thread,
/// author, body, created_at, edited_at`. The item's row comes first and is returned once with
/// NULL comment columns when it has none, so "no item" and "no comments" differ.
pub fn comments(dialect: Dialect, type_name: &str, item: Uuid, after: Option<&Cursor>, fetch: u32) -> Sql {
    let mut sql = Sql::new(dialect);
    let not_removed = match dialect {
        Dialect::Postgres => "NOT cm.removed",
        Dialect::Sqlite => "cm.removed = 0",
    };
    sql.push(&format!(
        "SELECT ci.status, cm.id, cm.parent_id, cm.thread, cm.author, cm.body, cm.created_at, cm.edited_at \
         FROM content_items ci LEFT JOIN comments cm ON cm.item_id = ci.id AND {not_removed}"
    ));
    if let Some(Cursor { key: crate::request::cursor::KeyValue::Text(thread), .. }) = after {
        let collate = if dialect == Dialect::Postgres { " COLLATE \"C\"" } else { "" };
        sql.push(&format!(" AND cm.thread{collate} > ")).bind(Arg::Text(thread.clone()));
    }
    sql.push(" WHERE ci.id = ").bind(Arg::Uuid(item));
    sql.push(" AND ci.type = ").bind(Arg::Text(type_name.to_owned()));
    let collate = if dialect == Dialect::Postgres { " COLLATE \"C\"" } else { "" };
    sql.push(&format!(" ORDER BY cm.thread{collate}")).limit(fetch);
    sql.plan_once();
    sql
}

/// A user's viewed items, newest view first, after `cursor`: `item_id, first_viewed_at,
/// last_viewed_at, views, liked, bookmarked, embed`. The embed and status come from the narrow
/// `content_embeds`, not the wide `content_items` (projectors' migration `content_embeds`).
pub fn history(dialect: Dialect, user: &str, after: Option<(i64, Uuid)>, visible: &[&'static str], fetch: u32) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push(
        "SELECT u.item_id, u.first_viewed_at, u.last_viewed_at, u.views, u.liked, u.bookmarked, e.embed \
         FROM user_items u JOIN content_embeds e ON e.id = u.item_id WHERE u.user_id = ",
    )
    .bind(Arg::Text(user.to_owned()))
    .push(" AND u.last_viewed_at IS NOT NULL");
    if let Some((at, item)) = after {
        // The index is (user, last_viewed_at DESC, item_id ASC): a range on the time, then a filter.
        sql.push(" AND u.last_viewed_at <= ").bind_time(at);
        sql.push(" AND (u.last_viewed_at < ").bind_time(at).push(" OR u.item_id > ").bind(Arg::Uuid(item)).push(")");
    }
    sql.push(" AND ");
    statuses(&mut sql, "e.status", visible);
    sql.push(" ORDER BY u.last_viewed_at DESC, u.item_id").limit(fetch);
    sql.plan_once();
    sql
}

/// A user's state for some items (distinct ids, at most 100): `item_id, first_viewed_at,
/// last_viewed_at, views, liked, bookmarked`.
///
/// On SQLite one primary-key lookup per item, joined by `UNION ALL`: SQLite runs `item_id IN
/// (…)` by first copying the list into an ephemeral b-tree, whose set-up (a b-tree, a pager and
/// its page cache, per execution) was a tenth of the statement's cost for 20 items.
pub fn state(dialect: Dialect, user: &str, items: &[Uuid]) -> Sql {
    const COLUMNS: &str = "SELECT item_id, first_viewed_at, last_viewed_at, views, liked, bookmarked FROM user_items";
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Postgres => {
            sql.push(COLUMNS).push(" WHERE user_id = ").bind(Arg::Text(user.to_owned())).push(" AND ");
            sql.bind_in("item_id", items.iter().map(|i| Arg::Uuid(*i)).collect());
        }
        Dialect::Sqlite => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push(COLUMNS).push(" WHERE user_id = ").bind(Arg::Text(user.to_owned()));
                sql.push(" AND item_id = ").bind(Arg::Uuid(*item));
            }
        }
    }
    sql.plan_once();
    sql
}

pub fn type_definition(dialect: Dialect, name: &str) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT definition FROM content_types WHERE name = ").bind(Arg::Text(name.to_owned()));
    sql.plan_once();
    sql
}

pub fn api_key(dialect: Dialect, key_id: Uuid) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT role, secret_sha256, revoked FROM api_keys WHERE key_id = ").bind(Arg::Uuid(key_id));
    sql.plan_once();
    sql
}

pub fn checkpoints(dialect: Dialect) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT projection, position FROM projection_checkpoints");
    sql
}
