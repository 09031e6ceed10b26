//! The content projection's reads and writes on SQLite: prepared statements in one transaction.

use super::item::{status_from_str, Item};
use super::render::Rendered;
use super::store::{parse_definition, parse_fields, ContentStore, TypeRow};
use crate::time::{from_micros, micros};
use async_trait::async_trait;
use events::schema::TypeDefinition;
use sqlx::{Sqlite, Transaction};
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
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<ItemRow> = sqlx::query_as(
                "SELECT id, type, slug, status, version, position, created_at, updated_at, published_at, publish_at, \
                        archived_at, fields, embed FROM content_items WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut **self.0)
            .await?;
            if let Some(row) = row {
                items.push(item_of(row)?);
            }
        }
        Ok(items)
    }

    async fn embeds(&mut self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let embed: Option<String> = sqlx::query_scalar("SELECT embed FROM content_items WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **self.0)
                .await?;
            out.extend(embed.map(|e| (*id, e)));
        }
        Ok(out)
    }

    async fn referencers(&mut self, targets: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
        let mut out = Vec::new();
        for target in targets {
            let ids: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT item_id FROM content_refs WHERE target = $1")
                .bind(target)
                .fetch_all(&mut **self.0)
                .await?;
            out.extend(ids);
        }
        out.sort_unstable();
        out.dedup();
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
        for (item, rendered) in items {
            write_item(self.0, item, rendered).await?;
        }
        Ok(())
    }
}

async fn write_item(
    tx: &mut Transaction<'static, Sqlite>,
    item: &Item,
    rendered: &Rendered,
) -> Result<(), sqlx::Error> {
    let fields = serde_json::Value::Object(item.fields.clone()).to_string();
    let rowid: i64 = sqlx::query_scalar(
        "INSERT INTO content_items (id, type, slug, status, version, position, created_at, updated_at, published_at, \
                                    publish_at, archived_at, fields, embed, document, card) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (id) DO UPDATE SET type = excluded.type, slug = excluded.slug, status = excluded.status, \
           version = excluded.version, position = excluded.position, created_at = excluded.created_at, \
           updated_at = excluded.updated_at, published_at = excluded.published_at, \
           publish_at = excluded.publish_at, archived_at = excluded.archived_at, fields = excluded.fields, \
           embed = excluded.embed, document = excluded.document, card = excluded.card \
         RETURNING rowid",
    )
    .bind(item.id)
    .bind(&item.type_name)
    .bind(&item.slug)
    .bind(item.status)
    .bind(item.version)
    .bind(item.position)
    .bind(micros(item.created_at))
    .bind(micros(item.updated_at))
    .bind(item.published_at.map(micros))
    .bind(item.publish_at.map(micros))
    .bind(item.archived_at.map(micros))
    .bind(fields)
    .bind(&rendered.embed)
    .bind(&rendered.document)
    .bind(&rendered.card)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM content_search WHERE rowid = $1").bind(rowid).execute(&mut **tx).await?;
    sqlx::query("INSERT INTO content_search (rowid, title, body) VALUES ($1, $2, $3)")
        .bind(rowid)
        .bind(&rendered.title_text)
        .bind(&rendered.body_text)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM content_refs WHERE item_id = $1").bind(item.id).execute(&mut **tx).await?;
    for r in &rendered.refs {
        sqlx::query(
            "INSERT INTO content_refs (item_id, field, target, depth, ord, type, status, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(item.id)
        .bind(&r.field)
        .bind(r.target)
        .bind(r.depth)
        .bind(r.ord)
        .bind(&item.type_name)
        .bind(item.status)
        .bind(item.published_at.map(micros))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM content_values WHERE item_id = $1").bind(item.id).execute(&mut **tx).await?;
    for v in &rendered.values {
        sqlx::query(
            "INSERT INTO content_values (item_id, field, type, status, num, txt) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(item.id)
        .bind(&v.field)
        .bind(&item.type_name)
        .bind(item.status)
        .bind(v.num)
        .bind(v.txt.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
