//! Which revisions of a type existing content survives.
//!
//! Accepted: adding optional fields, relaxing or removing limits, adding enum values, making a
//! required field optional, toggling filterable/sortable/listed, reordering fields, changing slug_from.
//! Rejected: removing or retyping a field (a reference's target included), making a field
//! required, adding a required field, tightening a limit, removing an enum value.

use crate::violation::{verdict, Violation};
use events::schema::{FieldDefinition, FieldKind, TypeDefinition};
use std::mem::discriminant;

pub fn check_revision(current: &TypeDefinition, revised: &TypeDefinition) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    for old in &current.fields {
        let name = old.name.as_str();
        let Some((i, new)) = revised.fields.iter().enumerate().find(|(_, f)| f.name == old.name) else {
            violations.push(Violation::new(
                "definition.fields",
                "field_removed",
                format!("field {name:?} cannot be removed: existing content has it"),
            ));
            continue;
        };
        check_field(old, new, &format!("definition.fields[{i}]"), &mut violations);
    }
    for (i, new) in revised.fields.iter().enumerate() {
        if new.required && !current.fields.iter().any(|f| f.name == new.name) {
            violations.push(Violation::new(
                format!("definition.fields[{i}]"),
                "new_field_required",
                format!("new field {:?} must be optional: existing content does not have it", new.name.as_str()),
            ));
        }
    }
    verdict(violations)
}

fn check_field(old: &FieldDefinition, new: &FieldDefinition, path: &str, violations: &mut Vec<Violation>) {
    let name = old.name.as_str();
    if !old.required && new.required {
        violations.push(Violation::new(
            path,
            "field_made_required",
            format!("field {name:?} cannot become required: existing content may lack it"),
        ));
    }
    if discriminant(&old.kind) != discriminant(&new.kind) {
        violations.push(Violation::new(path, "field_kind_changed", format!("field {name:?} cannot change its kind")));
        return;
    }
    match (&old.kind, &new.kind) {
        (FieldKind::String { max_length: a }, FieldKind::String { max_length: b })
        | (FieldKind::Text { max_length: a }, FieldKind::Text { max_length: b })
        | (FieldKind::RichText { max_length: a }, FieldKind::RichText { max_length: b }) => {
            let tightened = match (a, b) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(a), Some(b)) => b < a,
            };
            if tightened {
                violations.push(Violation::new(
                    format!("{path}.max_length"),
                    "limit_tightened",
                    format!("the limit of {name:?} can be raised or removed, never lowered"),
                ));
            }
        }
        (FieldKind::Enum { values: a }, FieldKind::Enum { values: b }) => {
            for value in a.iter().filter(|v| !b.contains(v)) {
                violations.push(Violation::new(
                    format!("{path}.values"),
                    "enum_value_removed",
                    format!("enum value {value:?} of {name:?} cannot be removed: existing content may use it"),
                ));
            }
        }
        (FieldKind::Reference { target: a }, FieldKind::Reference { target: b })
        | (FieldKind::References { target: a }, FieldKind::References { target: b })
            if a != b =>
        {
            violations.push(Violation::new(
                format!("{path}.target"),
                "field_kind_changed",
                format!("field {name:?} cannot point at another type"),
            ));
        }
        _ => {}
    }
}
