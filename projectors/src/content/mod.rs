//! The content projection: content types, and one document per item with its relations, filter
//! and sort values and search text, re-rendered whenever an item it embeds changes (fan-out).
//!
//! A batch is applied in three steps, all inside the runner's transaction:
//! 1. load the items the batch is about and fold the events into them ([`item::evolve`]);
//! 2. render them ([`render::render`]); when an item's embed changed, load and re-render the
//!    items that reference it, round after round, until no embed changes (a rename reaches every
//!    document that shows it, and a category's move reaches the whole subtree's documents);
//! 3. write every rendered item, its relation rows and values in multi-row statements.
//!
//! A fan-out is bounded by the data (a tree is acyclic and embeds hold no relations), and
//! [`MAX_ROUNDS`] guards against a bug turning it into a loop.

pub mod item;
mod postgres;
pub mod render;
pub mod search_vector;
mod sqlite;
mod store;

use crate::error::ApplyError;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadTx;
use crate::replay::{delete_by_text, delete_by_uuid, uuids, Subject};
use async_trait::async_trait;
use events::schema::TypeDefinition;
use events::DomainEvent;
use item::{evolve, subject, Item};
use render::{render, targets, Rendered};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use store::{ContentStore, TypeRow};
use uuid::Uuid;

pub const NAME: &str = "content";

/// Most fan-out rounds in one batch (a tree this deep would be a bug, not data).
pub const MAX_ROUNDS: usize = 64;

#[derive(Debug, Clone, Copy, Default)]
pub struct ContentProjection;

#[async_trait]
impl Projection for ContentProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["content_types", "content_items", "content_embeds", "content_refs", "content_values", "content_search"]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            "ContentTypeDefined"
                | "ContentTypeRevised"
                | "ContentCreated"
                | "ContentRevised"
                | "ContentPublished"
                | "ContentUnpublished"
                | "ContentScheduled"
                | "ContentArchived"
        )
    }

    fn deferred_indexes(&self) -> &'static [&'static str] {
        &["content_items_search_idx"]
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError> {
        match tx {
            ReadTx::Postgres(tx) => apply(&mut postgres::PgContent(tx), events).await,
            ReadTx::Sqlite(tx) => apply(&mut sqlite::SqliteContent(tx), events).await,
        }
    }

    #[allow(clippy::wildcard_enum_match_arm)] // every content event is about its item
    fn subjects(&self, event: &DomainEvent) -> Vec<Subject> {
        match event {
            DomainEvent::ContentTypeDefined(e) => vec![Subject::Type(e.type_name.to_string())],
            DomainEvent::ContentTypeRevised(e) => vec![Subject::Type(e.type_name.to_string())],
            other => subject(other).map(Subject::Item).into_iter().collect(),
        }
    }

    async fn forget(&self, tx: &mut ReadTx, subjects: &BTreeSet<Subject>) -> Result<(), ApplyError> {
        let items = uuids(subjects, |s| if let Subject::Item(id) = s { Some(*id) } else { None });
        let types: Vec<String> = subjects
            .iter()
            .filter_map(|s| if let Subject::Type(name) = s { Some(name.clone()) } else { None })
            .collect();
        if let ReadTx::Sqlite(sqlite) = tx {
            // FTS5 rows are keyed by content_items' rowid: they go first.
            sqlx::query(
                "DELETE FROM content_search WHERE rowid IN (SELECT rowid FROM content_items \
                 WHERE id IN (SELECT unhex(value) FROM json_each($1)))",
            )
            .bind(crate::sqlite_rows::uuid_list(items.iter().copied()))
            .execute(&mut **sqlite)
            .await?;
        }
        delete_by_uuid(tx, "content_refs", "item_id", &items).await?;
        delete_by_uuid(tx, "content_values", "item_id", &items).await?;
        delete_by_uuid(tx, "content_embeds", "id", &items).await?;
        delete_by_uuid(tx, "content_items", "id", &items).await?;
        delete_by_text(tx, "content_types", "name", &types).await?;
        Ok(())
    }
}

#[allow(clippy::wildcard_enum_match_arm)] // see the last match arm
async fn apply(store: &mut (dyn ContentStore + Send), events: &[Decoded]) -> Result<Applied, ApplyError> {
    let mut types = store.types().await?;
    let mut type_rows = Vec::new();
    let mut retyped = BTreeSet::new();
    let mut ids: Vec<Uuid> = events.iter().filter_map(|d| subject(&d.event)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut items: HashMap<Uuid, Item> = store.items(&ids).await?.into_iter().map(|i| (i.id, i)).collect();
    let mut dirty = BTreeSet::new();
    for decoded in events {
        match &decoded.event {
            DomainEvent::ContentTypeDefined(e) => {
                type_rows.push(type_row(&e.type_name.to_string(), &e.definition, decoded)?);
                if types.insert(e.type_name.to_string(), e.definition.clone()).is_some() {
                    retyped.insert(e.type_name.to_string());
                }
            }
            DomainEvent::ContentTypeRevised(e) => {
                type_rows.push(type_row(&e.type_name.to_string(), &e.definition, decoded)?);
                if types.insert(e.type_name.to_string(), e.definition.clone()).as_ref() != Some(&e.definition) {
                    retyped.insert(e.type_name.to_string());
                }
            }
            // Every other event: content events change their item, the rest were filtered out.
            event => {
                if let Some(id) = subject(event) {
                    let next =
                        evolve(items.remove(&id), event, decoded.stream_version, decoded.position, decoded.recorded_at)
                            .map_err(ApplyError::Rejected)?;
                    items.insert(id, next);
                    dirty.insert(id);
                }
            }
        }
    }
    // A revised type can change which values and relations its items have: render them all.
    for type_name in &retyped {
        let all = store.items_of_type(type_name).await?;
        load_missing(store, &mut items, all.iter().copied()).await?;
        dirty.extend(all);
    }
    let rendered = fan_out(store, &types, &mut items, dirty).await?;
    let mut applied = Applied::default();
    applied.types.extend(type_rows.iter().map(|t| t.name.clone()));
    let mut rows = Vec::with_capacity(rendered.len());
    for (id, rendered) in rendered {
        if let Some(item) = items.remove(&id) {
            applied.types.insert(item.type_name.clone());
            applied.items.insert(id);
            rows.push((item, rendered));
        }
    }
    rows.sort_by_key(|(item, _)| item.id);
    store.write(&type_rows, &rows).await?;
    Ok(applied)
}

fn type_row(name: &str, definition: &TypeDefinition, decoded: &Decoded) -> Result<TypeRow, ApplyError> {
    Ok(TypeRow {
        name: name.to_owned(),
        definition: serde_json::to_string(definition).map_err(|e| ApplyError::Rejected(e.to_string()))?,
        version: i64::try_from(decoded.stream_version).unwrap_or(i64::MAX),
        position: i64::try_from(decoded.position).unwrap_or(i64::MAX),
    })
}

async fn load_missing(
    store: &mut (dyn ContentStore + Send),
    items: &mut HashMap<Uuid, Item>,
    ids: impl Iterator<Item = Uuid>,
) -> Result<(), ApplyError> {
    let missing: Vec<Uuid> = ids.filter(|id| !items.contains_key(id)).collect();
    if !missing.is_empty() {
        items.extend(store.items(&missing).await?.into_iter().map(|i| (i.id, i)));
    }
    Ok(())
}

fn parse_embed(text: &str) -> Option<Value> {
    if text.is_empty() {
        None
    } else {
        serde_json::from_str(text).ok()
    }
}

/// Renders `dirty` and, round after round, everything that embeds an item whose embed changed.
async fn fan_out(
    store: &mut (dyn ContentStore + Send),
    types: &HashMap<String, TypeDefinition>,
    items: &mut HashMap<Uuid, Item>,
    dirty: BTreeSet<Uuid>,
) -> Result<HashMap<Uuid, Rendered>, ApplyError> {
    // Parsed embeds of every target seen so far (items of this batch and others).
    let mut embeds: HashMap<Uuid, Value> = HashMap::new();
    let mut rendered: HashMap<Uuid, Rendered> = HashMap::new();
    let mut queue = dirty;
    for _round in 0..MAX_ROUNDS {
        if queue.is_empty() {
            return Ok(rendered);
        }
        let mut wanted: BTreeSet<Uuid> = BTreeSet::new();
        for id in &queue {
            if let Some(item) = items.get(id) {
                wanted.extend(targets(item, types.get(&item.type_name)));
            }
        }
        let mut from_store = Vec::new();
        for target in wanted {
            if embeds.contains_key(&target) {
                continue;
            }
            match items.get(&target) {
                Some(item) => {
                    if let Some(embed) = parse_embed(&item.embed) {
                        embeds.insert(target, embed);
                    }
                }
                None => from_store.push(target),
            }
        }
        for (id, text) in store.embeds(&from_store).await? {
            if let Some(embed) = parse_embed(&text) {
                embeds.insert(id, embed);
            }
        }
        let mut changed = Vec::new();
        for id in &queue {
            let Some(item) = items.get(id) else { continue };
            let output = render(item, types.get(&item.type_name), &|t: &Uuid| embeds.get(t).cloned());
            if output.embed != item.embed {
                changed.push(*id);
            }
            rendered.insert(*id, output);
        }
        for id in &changed {
            if let (Some(item), Some(output)) = (items.get_mut(id), rendered.get(id)) {
                item.embed.clone_from(&output.embed);
                if let Some(embed) = parse_embed(&item.embed) {
                    embeds.insert(*id, embed);
                }
            }
        }
        if changed.is_empty() {
            return Ok(rendered);
        }
        let changed_set: BTreeSet<Uuid> = changed.iter().copied().collect();
        let mut next: BTreeSet<Uuid> = store.referencers(&changed).await?.into_iter().collect();
        for (id, output) in &rendered {
            if output.refs.iter().any(|r| changed_set.contains(&r.target)) {
                next.insert(*id);
            }
        }
        load_missing(store, items, next.iter().copied()).await?;
        next.retain(|id| items.contains_key(id));
        queue = next;
    }
    Err(ApplyError::Rejected(format!("fan-out did not settle in {MAX_ROUNDS} rounds")))
}
