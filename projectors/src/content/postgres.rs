//! The content projection's reads and writes on PostgreSQL: `= ANY($1)` reads, UNNEST writes.

use super::item::{status_from_str, Item};
use super::render::Rendered;
use super::search_vector::tsvector_text;
use super::store::{fields_text, parse_definition, parse_fields, ContentStore, TypeRow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::schema::TypeDefinition;
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

pub struct PgContent<'t>(pub &'t mut Transaction<'static, Postgres>);

type ItemRow = (
    Uuid,
    String,
    String,
    String,
    i64,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    String,
    String,
);

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
        created_at,
        updated_at,
        published_at,
        publish_at,
        archived_at,
        fields: parse_fields(&fields)?,
        embed,
    })
}

#[async_trait]
impl ContentStore for PgContent<'_> {
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
                    archived_at, fields, embed FROM content_items WHERE id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(&mut **self.0)
        .await?;
        rows.into_iter().map(item_of).collect()
    }

    async fn embeds(&mut self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as("SELECT id, embed FROM content_items WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(&mut **self.0)
            .await
    }

    async fn referencers(&mut self, targets: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_scalar("SELECT DISTINCT item_id FROM content_refs WHERE target = ANY($1)")
            .bind(targets)
            .fetch_all(&mut **self.0)
            .await
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
                 ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, version = EXCLUDED.version, \
                   position = EXCLUDED.position",
            )
            .bind(&row.name)
            .bind(&row.definition)
            .bind(row.version)
            .bind(row.position)
            .execute(&mut **self.0)
            .await?;
        }
        if items.is_empty() {
            return Ok(());
        }
        write_items(self.0, items).await?;
        write_refs(self.0, items).await?;
        write_values(self.0, items).await
    }
}

async fn write_items(tx: &mut Transaction<'static, Postgres>, items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
    let column = |f: &dyn Fn(&Item, &Rendered) -> String| items.iter().map(|(i, r)| f(i, r)).collect::<Vec<_>>();
    let ids: Vec<Uuid> = items.iter().map(|(i, _)| i.id).collect();
    let versions: Vec<i64> = items.iter().map(|(i, _)| i.version).collect();
    let positions: Vec<i64> = items.iter().map(|(i, _)| i.position).collect();
    let created: Vec<DateTime<Utc>> = items.iter().map(|(i, _)| i.created_at).collect();
    let updated: Vec<DateTime<Utc>> = items.iter().map(|(i, _)| i.updated_at).collect();
    let published: Vec<Option<DateTime<Utc>>> = items.iter().map(|(i, _)| i.published_at).collect();
    let publish_at: Vec<Option<DateTime<Utc>>> = items.iter().map(|(i, _)| i.publish_at).collect();
    let archived: Vec<Option<DateTime<Utc>>> = items.iter().map(|(i, _)| i.archived_at).collect();
    let fields: Vec<String> = items.iter().map(|(i, _)| fields_text(&i.fields)).collect();
    sqlx::query(
        "INSERT INTO content_items (id, type, slug, status, version, position, created_at, updated_at, published_at, \
                                    publish_at, archived_at, fields, embed, document, card, search) \
         SELECT u.id, u.type, u.slug, u.status, u.version, u.position, u.created_at, u.updated_at, u.published_at, \
                u.publish_at, u.archived_at, u.fields, u.embed, u.document, u.card, u.search::tsvector \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::timestamptz[], \
                     $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[], \
                     $13::text[], $14::text[], $15::text[], $16::text[]) \
              AS u(id, type, slug, status, version, position, created_at, updated_at, published_at, publish_at, \
                   archived_at, fields, embed, document, card, search) \
         ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, slug = EXCLUDED.slug, status = EXCLUDED.status, \
           version = EXCLUDED.version, position = EXCLUDED.position, created_at = EXCLUDED.created_at, \
           updated_at = EXCLUDED.updated_at, published_at = EXCLUDED.published_at, \
           publish_at = EXCLUDED.publish_at, archived_at = EXCLUDED.archived_at, fields = EXCLUDED.fields, \
           embed = EXCLUDED.embed, document = EXCLUDED.document, card = EXCLUDED.card, search = EXCLUDED.search",
    )
    .bind(ids)
    .bind(column(&|i, _| i.type_name.clone()))
    .bind(column(&|i, _| i.slug.clone()))
    .bind(column(&|i, _| i.status.to_owned()))
    .bind(versions)
    .bind(positions)
    .bind(created)
    .bind(updated)
    .bind(published)
    .bind(publish_at)
    .bind(archived)
    .bind(fields)
    .bind(column(&|_, r| r.embed.clone()))
    .bind(column(&|_, r| r.document.clone()))
    .bind(items.iter().map(|(_, r)| r.card.clone()).collect::<Vec<Option<String>>>())
    .bind(column(&|_, r| tsvector_text(&r.title_text, &r.body_text)))
    .execute(&mut **tx)
    .await?;
    write_embeds(tx, items).await
}

/// What history shows of each item, in its narrow table (migrations/postgres/0008).
async fn write_embeds(tx: &mut Transaction<'static, Postgres>, items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO content_embeds (id, status, embed) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[]) \
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, embed = EXCLUDED.embed",
    )
    .bind(items.iter().map(|(i, _)| i.id).collect::<Vec<Uuid>>())
    .bind(items.iter().map(|(i, _)| i.status).collect::<Vec<&str>>())
    .bind(items.iter().map(|(_, r)| r.embed.as_str()).collect::<Vec<&str>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An item's reference rows, each with the item's list card (migration 0011), written anew with
/// the item whenever it is rendered.
async fn write_refs(tx: &mut Transaction<'static, Postgres>, items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = items.iter().map(|(i, _)| i.id).collect();
    sqlx::query("DELETE FROM content_refs WHERE item_id = ANY($1)").bind(&ids).execute(&mut **tx).await?;
    let (mut item_ids, mut fields, mut targets, mut depths, mut ords, mut types, mut statuses, mut published) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut cards = Vec::new();
    for (item, rendered) in items {
        let card = rendered.card.as_deref().unwrap_or(&rendered.document);
        for r in &rendered.refs {
            cards.push(card);
            item_ids.push(item.id);
            fields.push(r.field.as_str());
            targets.push(r.target);
            depths.push(r.depth);
            ords.push(r.ord);
            types.push(item.type_name.as_str());
            statuses.push(item.status);
            published.push(item.published_at);
        }
    }
    if item_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO content_refs (item_id, field, target, depth, ord, type, status, published_at, card) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::int4[], $5::int4[], $6::text[], $7::text[], \
                              $8::timestamptz[], $9::text[])",
    )
    .bind(item_ids)
    .bind(fields)
    .bind(targets)
    .bind(depths)
    .bind(ords)
    .bind(types)
    .bind(statuses)
    .bind(published)
    .bind(cards)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_values(tx: &mut Transaction<'static, Postgres>, items: &[(Item, Rendered)]) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = items.iter().map(|(i, _)| i.id).collect();
    sqlx::query("DELETE FROM content_values WHERE item_id = ANY($1)").bind(&ids).execute(&mut **tx).await?;
    let (mut item_ids, mut fields, mut types, mut statuses, mut nums, mut txts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (item, rendered) in items {
        for v in &rendered.values {
            item_ids.push(item.id);
            fields.push(v.field.as_str());
            types.push(item.type_name.as_str());
            statuses.push(item.status);
            nums.push(v.num);
            txts.push(v.txt.as_deref());
        }
    }
    if item_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO content_values (item_id, field, type, status, num, txt) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[])",
    )
    .bind(item_ids)
    .bind(fields)
    .bind(types)
    .bind(statuses)
    .bind(nums)
    .bind(txts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
