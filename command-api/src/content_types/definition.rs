//! Rules every content type definition follows, whether new or revised.

use crate::violation::{verdict, Violation};
use events::schema::{FieldKind, TypeDefinition};
use events::TypeName;
use std::collections::HashSet;

/// Names the platform uses for its own columns and counters in every document.
pub const RESERVED_FIELD_NAMES: &[&str] = &[
    "id",
    "type",
    "slug",
    "status",
    "version",
    "position",
    "created_at",
    "updated_at",
    "published_at",
    "publish_at",
    "archived_at",
    "views",
    "likes",
    "shares",
    "bookmarks",
    "comments",
];

pub const MAX_FIELDS: usize = 200;
pub const MAX_ENUM_VALUES: usize = 500;
pub const MAX_LENGTH_LIMIT: u32 = 10_000_000;

fn filterable(kind: &FieldKind) -> bool {
    match kind {
        FieldKind::String { .. }
        | FieldKind::Integer
        | FieldKind::Number
        | FieldKind::Boolean
        | FieldKind::Datetime
        | FieldKind::Enum { .. }
        | FieldKind::Reference { .. }
        | FieldKind::References { .. }
        | FieldKind::Parent => true,
        FieldKind::Text { .. } | FieldKind::RichText { .. } | FieldKind::Json | FieldKind::Media => false,
    }
}

fn sortable(kind: &FieldKind) -> bool {
    match kind {
        FieldKind::String { .. }
        | FieldKind::Integer
        | FieldKind::Number
        | FieldKind::Boolean
        | FieldKind::Datetime
        | FieldKind::Enum { .. } => true,
        FieldKind::Text { .. }
        | FieldKind::RichText { .. }
        | FieldKind::Json
        | FieldKind::Media
        | FieldKind::Reference { .. }
        | FieldKind::References { .. }
        | FieldKind::Parent => false,
    }
}

/// Checks `definition` of type `name`. `type_exists` answers whether a reference target is
/// defined (a type may reference itself).
pub fn check_definition(
    name: &TypeName,
    definition: &TypeDefinition,
    type_exists: &dyn Fn(&TypeName) -> bool,
) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    let fields = &definition.fields;
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        violations.push(Violation::new(
            "definition.fields",
            "field_count",
            format!("a type has 1 to {MAX_FIELDS} fields, not {}", fields.len()),
        ));
    }
    let mut names = HashSet::new();
    let mut parents = 0;
    for (i, field) in fields.iter().enumerate() {
        let path = format!("definition.fields[{i}]");
        let name_str = field.name.as_str();
        if !names.insert(name_str) {
            violations.push(Violation::new(&path, "duplicate_field", format!("field {name_str:?} is defined twice")));
        }
        if RESERVED_FIELD_NAMES.contains(&name_str) {
            violations.push(Violation::new(&path, "reserved_field", format!("{name_str:?} is reserved by Folio")));
        }
        if field.filterable && !filterable(&field.kind) {
            violations.push(Violation::new(&path, "not_filterable", "this kind of field cannot be filterable"));
        }
        if field.sortable && !sortable(&field.kind) {
            violations.push(Violation::new(&path, "not_sortable", "this kind of field cannot be sortable"));
        }
        check_kind(name, &field.kind, &path, type_exists, &mut violations);
        if matches!(field.kind, FieldKind::Parent) {
            parents += 1;
        }
    }
    if parents > 1 {
        violations.push(Violation::new("definition.fields", "several_parents", "a type has at most one parent field"));
    }
    if let Some(slug_from) = &definition.slug_from {
        match fields.iter().find(|f| &f.name == slug_from) {
            Some(field) if matches!(field.kind, FieldKind::String { .. }) && field.required => {}
            Some(_) => violations.push(Violation::new(
                "definition.slug_from",
                "bad_slug_source",
                format!("slugs come from a required string field; {slug_from:?} is not one"),
            )),
            None => violations.push(Violation::new(
                "definition.slug_from",
                "unknown_field",
                format!("{slug_from:?} is not a field of this type"),
            )),
        }
    }
    verdict(violations)
}

fn check_kind(
    name: &TypeName,
    kind: &FieldKind,
    path: &str,
    type_exists: &dyn Fn(&TypeName) -> bool,
    violations: &mut Vec<Violation>,
) {
    match kind {
        FieldKind::String { max_length } | FieldKind::Text { max_length } | FieldKind::RichText { max_length } => {
            if let Some(max) = max_length {
                if *max == 0 || *max > MAX_LENGTH_LIMIT {
                    violations.push(Violation::new(
                        format!("{path}.max_length"),
                        "bad_limit",
                        format!("max_length is 1 to {MAX_LENGTH_LIMIT}"),
                    ));
                }
            }
        }
        FieldKind::Enum { values } => {
            if values.is_empty() || values.len() > MAX_ENUM_VALUES {
                violations.push(Violation::new(
                    format!("{path}.values"),
                    "bad_enum",
                    format!("an enum has 1 to {MAX_ENUM_VALUES} values"),
                ));
            }
            let mut seen = HashSet::new();
            for (j, value) in values.iter().enumerate() {
                if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
                    violations.push(Violation::new(
                        format!("{path}.values[{j}]"),
                        "bad_enum",
                        "an enum value is 1 to 200 characters without control characters",
                    ));
                }
                if !seen.insert(value) {
                    violations.push(Violation::new(
                        format!("{path}.values[{j}]"),
                        "bad_enum",
                        "enum values are unique",
                    ));
                }
            }
        }
        FieldKind::Reference { target } | FieldKind::References { target } => {
            if target != name && !type_exists(target) {
                violations.push(Violation::new(
                    format!("{path}.target"),
                    "unknown_type",
                    format!("type {target:?} is not defined"),
                ));
            }
        }
        FieldKind::Integer
        | FieldKind::Number
        | FieldKind::Boolean
        | FieldKind::Datetime
        | FieldKind::Json
        | FieldKind::Media
        | FieldKind::Parent => {}
    }
}
