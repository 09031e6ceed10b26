//! Rendering an item: its document (references expanded), what others embed of it, its relation
//! rows, its filter/sort values and its search text. Pure: the embeds of the items it points at
//! come in through `embeds`.
//!
//! - The embed of an item is `{id, type, slug, <its string, integer, number, boolean, datetime,
//!   enum and media fields>}`, plus `path` (its ancestors' embeds, root first) when its type is a
//!   tree. Text, rich text, json and relations stay out, so embedding stays small.
//! - A document is `{id, type, slug, status, version, created_at, updated_at, published_at,
//!   publish_at?, archived_at?, path?, <fields>}`, where a reference is the target's embed, and a
//!   target that is unknown renders as `{"id": ...}`.
//! - A card is what list entries show: the document without the fields defined `"listed": false`.
//!   It is `None` when that leaves the document whole (no such field has a value), and lists
//!   then read the document itself.
//! - Relation rows: one per reference, plus one per ancestor of a tree target (depth 1, 2, ...).
//! - Value rows: one per filterable or sortable scalar field that has a value, and one (with
//!   neither `num` nor `txt`) per sortable field that has none.

use super::item::Item;
use crate::time::render as render_time;
use events::schema::{FieldDefinition, FieldKind, TypeDefinition};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct RefRow {
    pub field: String,
    pub target: Uuid,
    pub depth: i32,
    pub ord: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    pub field: String,
    pub num: Option<f64>,
    pub txt: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub embed: String,
    pub document: String,
    /// The document without its unlisted fields; `None` when it would equal the document.
    pub card: Option<String>,
    pub refs: Vec<RefRow>,
    pub values: Vec<ValueRow>,
    /// Search text of weight A (string and enum fields) and B (text and rich text).
    pub title_text: String,
    pub body_text: String,
}

fn target_of(embeds: &dyn Fn(&Uuid) -> Option<Value>, id: Uuid) -> Value {
    embeds(&id).unwrap_or_else(|| json!({ "id": id }))
}

fn as_id(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

/// The ids an item's relation fields point at (what must be embedded to render it).
pub fn targets(item: &Item, definition: Option<&TypeDefinition>) -> Vec<Uuid> {
    let Some(definition) = definition else { return Vec::new() };
    let mut out = Vec::new();
    for field in &definition.fields {
        let Some(value) = item.fields.get(field.name.as_str()) else { continue };
        match &field.kind {
            FieldKind::Reference { .. } | FieldKind::Parent => out.extend(as_id(value)),
            FieldKind::References { .. } => {
                out.extend(value.as_array().into_iter().flatten().filter_map(as_id));
            }
            FieldKind::String { .. }
            | FieldKind::Text { .. }
            | FieldKind::RichText { .. }
            | FieldKind::Integer
            | FieldKind::Number
            | FieldKind::Boolean
            | FieldKind::Datetime
            | FieldKind::Enum { .. }
            | FieldKind::Json
            | FieldKind::Media => {}
        }
    }
    out
}

/// The ancestors in an embed's `path`, nearest first.
fn ancestors(embed: &Value) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = embed
        .get("path")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("id").and_then(as_id))
        .collect();
    ids.reverse();
    ids
}

pub fn render(item: &Item, definition: Option<&TypeDefinition>, embeds: &dyn Fn(&Uuid) -> Option<Value>) -> Rendered {
    let mut embed = Map::new();
    embed.insert("id".into(), json!(item.id));
    embed.insert("type".into(), json!(item.type_name));
    embed.insert("slug".into(), json!(item.slug));
    let mut document = Map::new();
    document.insert("id".into(), json!(item.id));
    document.insert("type".into(), json!(item.type_name));
    document.insert("slug".into(), json!(item.slug));
    document.insert("status".into(), json!(item.status));
    document.insert("version".into(), json!(item.version));
    document.insert("created_at".into(), json!(render_time(item.created_at)));
    document.insert("updated_at".into(), json!(render_time(item.updated_at)));
    document.insert("published_at".into(), json!(item.published_at.map(render_time)));
    if let Some(at) = item.publish_at {
        document.insert("publish_at".into(), json!(render_time(at)));
    }
    if let Some(at) = item.archived_at {
        document.insert("archived_at".into(), json!(render_time(at)));
    }
    let (mut refs, mut values) = (Vec::new(), Vec::new());
    let (mut title_text, mut body_text) = (String::new(), String::new());
    let mut is_tree = false;
    let mut path: Vec<Value> = Vec::new();
    let no_fields = Vec::new();
    let fields = definition.map_or(&no_fields, |d| &d.fields);
    for field in fields {
        let name = field.name.as_str();
        let Some(value) = item.fields.get(name).filter(|v| !v.is_null()) else {
            if matches!(field.kind, FieldKind::Parent) {
                is_tree = true;
            }
            // A sortable field without a value still gets its row (null), so a list sorted by
            // it is one index range that includes the items lacking it (they sort lowest).
            if field.sortable {
                values.push(ValueRow { field: name.to_owned(), num: None, txt: None });
            }
            continue;
        };
        let mut add_ref = |target: Uuid, ord: i32, target_embed: &Value| {
            refs.push(RefRow { field: name.to_owned(), target, depth: 0, ord });
            for (depth, ancestor) in (1..).zip(ancestors(target_embed)) {
                refs.push(RefRow { field: name.to_owned(), target: ancestor, depth, ord });
            }
        };
        match &field.kind {
            FieldKind::Reference { .. } | FieldKind::Parent => {
                let rendered = match as_id(value) {
                    Some(id) => {
                        let target = target_of(embeds, id);
                        add_ref(id, 0, &target);
                        target
                    }
                    None => Value::Null,
                };
                if matches!(field.kind, FieldKind::Parent) {
                    is_tree = true;
                    if !rendered.is_null() {
                        let mut parent = rendered.clone();
                        let above = parent.as_object_mut().and_then(|p| p.remove("path"));
                        path = above.and_then(|a| a.as_array().cloned()).unwrap_or_default();
                        path.push(parent);
                    }
                }
                document.insert(name.to_owned(), rendered);
            }
            FieldKind::References { .. } => {
                let ids: Vec<Uuid> = value.as_array().into_iter().flatten().filter_map(as_id).collect();
                let mut list = Vec::with_capacity(ids.len());
                for (ord, id) in (0..).zip(ids) {
                    let target = target_of(embeds, id);
                    add_ref(id, ord, &target);
                    list.push(target);
                }
                document.insert(name.to_owned(), Value::Array(list));
            }
            FieldKind::String { .. } | FieldKind::Enum { .. } => {
                push_text(&mut title_text, value.as_str().unwrap_or_default());
                embed.insert(name.to_owned(), value.clone());
                document.insert(name.to_owned(), value.clone());
                if field.filterable || field.sortable {
                    values.push(ValueRow { field: name.to_owned(), num: None, txt: value.as_str().map(str::to_owned) });
                }
            }
            FieldKind::Integer | FieldKind::Number | FieldKind::Boolean | FieldKind::Datetime => {
                embed.insert(name.to_owned(), value.clone());
                document.insert(name.to_owned(), value.clone());
                if field.filterable || field.sortable {
                    values.push(ValueRow { field: name.to_owned(), num: number_of(&field.kind, value), txt: None });
                }
            }
            FieldKind::Media => {
                embed.insert(name.to_owned(), value.clone());
                document.insert(name.to_owned(), value.clone());
            }
            FieldKind::Text { .. } => {
                push_text(&mut body_text, value.as_str().unwrap_or_default());
                document.insert(name.to_owned(), value.clone());
            }
            FieldKind::RichText { .. } => {
                push_text(&mut body_text, &strip_tags(value.as_str().unwrap_or_default()));
                document.insert(name.to_owned(), value.clone());
            }
            FieldKind::Json => {
                document.insert(name.to_owned(), value.clone());
            }
        }
    }
    dedup_refs(&mut refs);
    if is_tree {
        embed.insert("path".into(), Value::Array(path.clone()));
        document.insert("path".into(), Value::Array(path));
    }
    let card = card_of(&document, fields);
    Rendered {
        embed: Value::Object(embed).to_string(),
        document: Value::Object(document).to_string(),
        card,
        refs,
        values,
        title_text,
        body_text,
    }
}

/// The document without the unlisted fields it has, or `None` when it has none of them. Borrows
/// the document's members (a projector batch renders many items): the map keeps them in key
/// order, as the document's own map does, so card and document list members alike.
fn card_of(document: &Map<String, Value>, fields: &[FieldDefinition]) -> Option<String> {
    let unlisted = |name: &str| fields.iter().any(|f| !f.listed && f.name.as_str() == name);
    if !document.keys().any(|name| unlisted(name)) {
        return None;
    }
    let card: BTreeMap<&str, &Value> =
        document.iter().filter(|(name, _)| !unlisted(name)).map(|(k, v)| (k.as_str(), v)).collect();
    serde_json::to_string(&card).ok()
}

/// A target reached twice in one field (directly and as an ancestor) keeps its smallest depth.
fn dedup_refs(refs: &mut Vec<RefRow>) {
    let mut best: HashMap<(String, Uuid), usize> = HashMap::new();
    let mut keep = vec![true; refs.len()];
    for (i, row) in refs.iter().enumerate() {
        match best.get(&(row.field.clone(), row.target)) {
            Some(&j) if refs[j].depth <= row.depth => keep[i] = false,
            Some(&j) => {
                keep[j] = false;
                best.insert((row.field.clone(), row.target), i);
            }
            None => {
                best.insert((row.field.clone(), row.target), i);
            }
        }
    }
    let mut i = 0;
    refs.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

fn push_text(out: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(text);
}

/// Numbers as they sort: booleans 0/1, datetimes as microseconds since the epoch.
fn number_of(kind: &FieldKind, value: &Value) -> Option<f64> {
    match kind {
        FieldKind::Boolean => value.as_bool().map(|b| if b { 1.0 } else { 0.0 }),
        FieldKind::Datetime => value
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_micros() as f64),
        FieldKind::Integer | FieldKind::Number => value.as_f64(),
        FieldKind::String { .. }
        | FieldKind::Text { .. }
        | FieldKind::RichText { .. }
        | FieldKind::Enum { .. }
        | FieldKind::Json
        | FieldKind::Media
        | FieldKind::Reference { .. }
        | FieldKind::References { .. }
        | FieldKind::Parent => None,
    }
}

/// Rich text's words without its markup, for the search index.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(definition: Value) -> FieldDefinition {
        serde_json::from_value(definition).unwrap()
    }

    #[test]
    fn a_card_leaves_out_the_unlisted_fields_an_item_has() {
        let fields = [
            field(json!({"name": "title", "kind": "string"})),
            field(json!({"name": "body", "kind": "text", "listed": false})),
            field(json!({"name": "notes", "kind": "json", "listed": false})),
        ];
        let document = json!({"id": "x", "title": "T", "body": "long"});
        let Value::Object(document) = document else { unreachable!() };
        let card = card_of(&document, &fields).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&card).unwrap(), json!({"id": "x", "title": "T"}));
    }

    #[test]
    fn no_card_when_it_would_be_the_document() {
        let fields = [
            field(json!({"name": "title", "kind": "string"})),
            field(json!({"name": "body", "kind": "text", "listed": false})),
        ];
        let Value::Object(without_body) = json!({"id": "x", "title": "T"}) else { unreachable!() };
        assert_eq!(card_of(&without_body, &fields), None, "the unlisted field has no value");
        let all_listed = [field(json!({"name": "title", "kind": "string"}))];
        let Value::Object(document) = json!({"id": "x", "title": "T", "body": "b"}) else { unreachable!() };
        assert_eq!(card_of(&document, &all_listed), None);
    }
}
