//! The content projection's reads and writes on SQLite: each a few statements per batch
//! ([`crate::sqlite_rows`]), in one transaction.

use super::item::{status_from_str, Item};
use super::render::{RefRow, Rendered, ValueRow};
use super::store::{fields_text, parse_definition, parse_fields, ContentStore, TypeRow};
use crate::sqlite_rows::{uuid_list, Insert};
use crate::time::{from_micros, micros};
use async_trait::async_trait;
use events::schema::TypeDefinition;
use sqlx::{Row, Sqlite, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

pub struct SqliteContent<'t>(pub &'t mut Transaction<'static, Sqlite>);

type ItemRow =
    (Uuid, String, String, String, i64, i64, i64, i64, Option<i64>, Option<i64>, Option<i64>, String, String);

fn item_of(row: ItemRow) -> Result<Item, sqlx::Error> {
    let (
        id,
        type_name,
        slug,
        status,
        version,
        position,
        created_at,
        updated_at,
        published_at,
        publish_at,
        archived_at,
        fields,
        embed,
    ) = row;
    Ok(Item {
        id,
        type_name,
        slug,
        status: status_from_str(&status),
        version,
        position,
        created_at: from_micros(created_at),
        updated_at: from_micros(updated_at),
        published_at: published_at.map(from_micros),
        publish_at: publish_at.map(from_micros),
        archived_at: archived_at.map(from_micros),
        fields: parse_fields(&fields)?,
        embed,
    })
}

#[async_trait]
impl ContentStore for SqliteContent<'_> {
    async fn types(&mut self) -> Result<HashMap<String, TypeDefinition>, sqlx::Error> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, definition FROM content_types").fetch_all(&mut **self.0).await?;
        rows.into_iter().map(|(name, text)| Ok((name, parse_definition(&text)?))).collect()
    }

    async fn items(&mut self, ids: &[Uuid]) -> Result<Vec<Item>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ItemRow> = sqlx::query_as(
            "SELECT id, type, slug, status, version, position, created_at, updated_at, published_at, publish_at, \
                    archived_at, fields, embed FROM content_items \
             WHERE id IN (SELECT unhex(value) FROM json_each($1))",
        )
        .bind(uuid_list(ids.iter().copied()))
        .fetch_all(&mut **self.0)
        .await?;
        rows.into_iter().map(item_of).collect()
    }

    async fn embeds(&mut self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as("SELECT id, embed FROM content_items WHERE id IN (SELECT unhex(value) FROM json_each($1))")
            .bind(uuid_list(ids.iter().copied()))
            .fetch_all(&mut **self.0)
            .await
    }

    async fn referencers(&mut self, targets: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut out: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT item_id FROM content_refs WHERE target IN (SELECT unhex(value) FROM json_each($1))",
        )
        .bind(uuid_list(targets.iter().copied()))
        .fetch_all(&mut **self.0)
        .await?;
        out.sort_unstable();
        Ok(out)
    }

    async fn items_of_type(&mut self, type_name: &str) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM content_items WHERE type = $1")
            .bind(type_name)
            .fetch_all(&mut **self.0)
            .await
    }

    async fn write(&mut self, types: &[TypeRow], items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
        for row in types {
            sqlx::query(
                "INSERT INTO content_types (name, definition, version, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, version = excluded.version, \
                   position = excluded.position",
            )
            .bind(&row.name)
            .bind(&row.definition)
            .bind(row.version)
            .bind(row.position)
            .execute(&mut **self.0)
            .await?;
        }
        write_items(self.0, items).await
    }
}

const ITEMS: Insert<'static> = Insert {
    head:
        "INSERT INTO content_items (id, type, slug, status, version, position, created_at, updated_at, published_at, \
                                      publish_at, archived_at, fields, embed, document, card) ",
    columns: 15,
    tail: " ON CONFLICT (id) DO UPDATE SET type = excluded.type, slug = excluded.slug, status = excluded.status, \
           version = excluded.version, position = excluded.position, created_at = excluded.created_at, \
           updated_at = excluded.updated_at, published_at = excluded.published_at, \
           publish_at = excluded.publish_at, archived_at = excluded.archived_at, fields = excluded.fields, \
           embed = excluded.embed, document = excluded.document, card = excluded.card \
           RETURNING id, rowid",
};

const EMBEDS: Insert<'static> = Insert {
    head: "INSERT INTO content_embeds (id, status, embed) ",
    columns: 3,
    tail: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, embed = excluded.embed",
};

const SEARCH: Insert<'static> =
    Insert { head: "INSERT INTO content_search (rowid, title, body) ", columns: 3, tail: "" };

const REFS: Insert<'static> = Insert {
    head: "INSERT INTO content_refs (item_id, field, target, depth, ord, type, status, published_at) ",
    columns: 8,
    tail: "",
};

const VALUES: Insert<'static> =
    Insert { head: "INSERT INTO content_values (item_id, field, type, status, num, txt) ", columns: 6, tail: "" };

/// Writes every item with its embed (what history reads), search text, relation rows and values:
/// each table in multi-row statements, the old relation rows, values and search text deleted
/// first.
async fn write_items(tx: &mut Transaction<'static, Sqlite>, items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = items.iter().map(|(item, _)| fields_text(&item.fields)).collect();
    let rows: Vec<(&Item, &Rendered, &String)> =
        items.iter().zip(&fields).map(|((item, rendered), fields)| (item, rendered, fields)).collect();
    let returned = ITEMS
        .fetch_all(tx, &rows, |row, (item, rendered, fields)| {
            row.push_bind(item.id)
                .push_bind(item.type_name.as_str())
                .push_bind(item.slug.as_str())
                .push_bind(item.status)
                .push_bind(item.version)
                .push_bind(item.position)
                .push_bind(micros(item.created_at))
                .push_bind(micros(item.updated_at))
                .push_bind(item.published_at.map(micros))
                .push_bind(item.publish_at.map(micros))
                .push_bind(item.archived_at.map(micros))
                .push_bind(fields.as_str())
                .push_bind(rendered.embed.as_str())
                .push_bind(rendered.document.as_str())
                .push_bind(rendered.card.as_deref());
        })
        .await?;
    EMBEDS
        .execute(tx, &rows, |row, (item, rendered, _)| {
            row.push_bind(item.id).push_bind(item.status).push_bind(rendered.embed.as_str());
        })
        .await?;
    let rowids: HashMap<Uuid, i64> = returned.iter().map(|r| (r.get::<Uuid, _>(0), r.get::<i64, _>(1))).collect();
    let ids = uuid_list(items.iter().map(|(item, _)| item.id));

    // FTS5 rows are keyed by content_items' rowid.
    let rowid_list = serde_json::to_string(&rowids.values().collect::<Vec<_>>()).unwrap_or_default();
    sqlx::query("DELETE FROM content_search WHERE rowid IN (SELECT value FROM json_each($1))")
        .bind(rowid_list)
        .execute(&mut **tx)
        .await?;
    let search: Vec<(i64, &Rendered)> =
        items.iter().filter_map(|(item, rendered)| Some((*rowids.get(&item.id)?, rendered))).collect();
    SEARCH
        .execute(tx, &search, |row, (rowid, rendered)| {
            row.push_bind(*rowid).push_bind(rendered.title_text.as_str()).push_bind(rendered.body_text.as_str());
        })
        .await?;

    sqlx::query("DELETE FROM content_refs WHERE item_id IN (SELECT unhex(value) FROM json_each($1))")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    let refs: Vec<(&Item, &RefRow)> =
        items.iter().flat_map(|(item, rendered)| rendered.refs.iter().map(move |r| (item, r))).collect();
    REFS.execute(tx, &refs, |row, (item, r)| {
        row.push_bind(item.id)
            .push_bind(r.field.as_str())
            .push_bind(r.target)
            .push_bind(r.depth)
            .push_bind(r.ord)
            .push_bind(item.type_name.as_str())
            .push_bind(item.status)
            .push_bind(item.published_at.map(micros));
    })
    .await?;

    sqlx::query("DELETE FROM content_values WHERE item_id IN (SELECT unhex(value) FROM json_each($1))")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    let values: Vec<(&Item, &ValueRow)> =
        items.iter().flat_map(|(item, rendered)| rendered.values.iter().map(move |v| (item, v))).collect();
    VALUES
        .execute(tx, &values, |row, (item, v)| {
            row.push_bind(item.id)
                .push_bind(v.field.as_str())
                .push_bind(item.type_name.as_str())
                .push_bind(item.status)
                .push_bind(v.num)
                .push_bind(v.txt.as_deref());
        })
        .await
}
