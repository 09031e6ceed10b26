//! Field values against a type definition. Pure: references are returned for the caller to
//! resolve (they must name an existing, non-archived item of the target type), not looked up here.

use crate::violation::{verdict, Violation};
use events::payloads::ContentId;
use events::schema::{FieldDefinition, FieldKind, TypeDefinition};
use events::TypeName;
use serde_json::{Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// Limits for text fields that set no `max_length`, in characters.
pub const DEFAULT_STRING_MAX: u32 = 10_000;
pub const DEFAULT_TEXT_MAX: u32 = 1_000_000;
/// Most ids in one `references` field.
pub const MAX_REFERENCES: usize = 1_000;

/// Create: every required field must be present. Revise: only the changed fields are given, and
/// `null` clears one (which a required field refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Revise,
}

/// An id a field points at, to be resolved by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub path: String,
    pub target: TypeName,
    pub id: ContentId,
    /// A tree parent: the caller must also refuse cycles.
    pub is_parent: bool,
}

/// Checks `fields` of an item of type `type_name`; returns the references to resolve.
pub fn check_fields(
    type_name: &TypeName,
    definition: &TypeDefinition,
    fields: &Map<String, Value>,
    mode: Mode,
) -> Result<Vec<Reference>, Vec<Violation>> {
    let mut violations = Vec::new();
    let mut references = Vec::new();
    for name in fields.keys() {
        if !definition.fields.iter().any(|f| f.name.as_str() == name) {
            violations.push(Violation::new(
                format!("fields.{name}"),
                "unknown_field",
                format!("type {type_name:?} has no field {name:?}"),
            ));
        }
    }
    for field in &definition.fields {
        let path = format!("fields.{}", field.name);
        match fields.get(field.name.as_str()) {
            None if mode == Mode::Create && field.required => {
                violations.push(Violation::new(&path, "required", "this field is required"));
            }
            None => {}
            Some(Value::Null) if field.required => {
                violations.push(Violation::new(&path, "required", "a required field cannot be cleared"));
            }
            Some(Value::Null) => {}
            Some(value) => check_value(type_name, field, value, &path, &mut violations, &mut references),
        }
    }
    verdict(violations).map(|()| references)
}

fn wrong_kind(path: &str, expected: &str) -> Violation {
    Violation::new(path, "wrong_kind", format!("expected {expected}"))
}

fn check_text(value: &Value, max: u32, path: &str, violations: &mut Vec<Violation>) {
    let Some(text) = value.as_str() else {
        violations.push(wrong_kind(path, "a string"));
        return;
    };
    if text.contains('\0') {
        violations.push(Violation::new(path, "bad_character", "text cannot contain the NUL character"));
    }
    let length = text.chars().count();
    if length > max as usize {
        violations.push(Violation::new(path, "too_long", format!("at most {max} characters, got {length}")));
    }
}

fn parse_id(value: &Value, path: &str, violations: &mut Vec<Violation>) -> Option<ContentId> {
    match value.as_str().map(Uuid::parse_str) {
        Some(Ok(id)) => Some(ContentId(id)),
        _ => {
            violations.push(wrong_kind(path, "an item id (UUID string)"));
            None
        }
    }
}

fn check_value(
    type_name: &TypeName,
    field: &FieldDefinition,
    value: &Value,
    path: &str,
    violations: &mut Vec<Violation>,
    references: &mut Vec<Reference>,
) {
    match &field.kind {
        FieldKind::String { max_length } => {
            check_text(value, max_length.unwrap_or(DEFAULT_STRING_MAX), path, violations)
        }
        FieldKind::Text { max_length } | FieldKind::RichText { max_length } => {
            check_text(value, max_length.unwrap_or(DEFAULT_TEXT_MAX), path, violations)
        }
        FieldKind::Integer => {
            if value.as_i64().is_none() {
                violations.push(wrong_kind(path, "an integer between -2^63 and 2^63-1"));
            }
        }
        FieldKind::Number => {
            if !value.is_number() {
                violations.push(wrong_kind(path, "a number"));
            }
        }
        FieldKind::Boolean => {
            if !value.is_boolean() {
                violations.push(wrong_kind(path, "true or false"));
            }
        }
        FieldKind::Datetime => {
            if value.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).is_none() {
                violations.push(wrong_kind(path, "an RFC 3339 date-time such as 2024-01-01T00:00:00Z"));
            }
        }
        FieldKind::Enum { values } => match value.as_str() {
            Some(v) if values.iter().any(|allowed| allowed == v) => {}
            Some(v) => violations.push(Violation::new(
                path,
                "not_in_enum",
                format!("{v:?} is not one of {}", values.join(", ")),
            )),
            None => violations.push(wrong_kind(path, "a string")),
        },
        FieldKind::Json => {}
        FieldKind::Media => check_media(value, path, violations),
        FieldKind::Reference { target } => {
            if let Some(id) = parse_id(value, path, violations) {
                references.push(Reference { path: path.to_owned(), target: target.clone(), id, is_parent: false });
            }
        }
        FieldKind::Parent => {
            if let Some(id) = parse_id(value, path, violations) {
                references.push(Reference { path: path.to_owned(), target: type_name.clone(), id, is_parent: true });
            }
        }
        FieldKind::References { target } => {
            let Some(items) = value.as_array() else {
                violations.push(wrong_kind(path, "an array of item ids"));
                return;
            };
            if items.len() > MAX_REFERENCES {
                violations.push(Violation::new(path, "too_many", format!("at most {MAX_REFERENCES} ids")));
                return;
            }
            let mut seen = HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                if let Some(id) = parse_id(item, &item_path, violations) {
                    if seen.insert(id) {
                        references.push(Reference { path: item_path, target: target.clone(), id, is_parent: false });
                    } else {
                        violations.push(Violation::new(item_path, "duplicate_reference", "each id at most once"));
                    }
                }
            }
        }
    }
}

/// Media: `{"url": "...", "alt"?: "...", "mime"?: "...", "width"?: n, "height"?: n}`.
fn check_media(value: &Value, path: &str, violations: &mut Vec<Violation>) {
    let Some(media) = value.as_object() else {
        violations.push(wrong_kind(path, "a media object with a url"));
        return;
    };
    match media.get("url").and_then(Value::as_str) {
        Some(url) if !url.is_empty() && url.len() <= 2048 && !url.chars().any(char::is_whitespace) => {}
        _ => violations.push(Violation::new(format!("{path}.url"), "bad_media", "url: 1-2048 characters, no spaces")),
    }
    for (key, v) in media {
        let ok = match key.as_str() {
            "url" => true,
            "alt" | "mime" => v.as_str().is_some_and(|s| s.chars().count() <= 1000),
            "width" | "height" => v.as_u64().is_some(),
            _ => false,
        };
        if !ok {
            violations.push(Violation::new(
                format!("{path}.{key}"),
                "bad_media",
                "media has url, and optionally alt and mime (text) and width and height (integers)",
            ));
        }
    }
}
