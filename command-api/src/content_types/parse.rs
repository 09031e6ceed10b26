//! A type definition from request JSON, refusing members it does not know (so a typo such as
//! `"requried"` is an error at its path, never silently ignored).

use crate::violation::{verdict, Violation};
use events::schema::TypeDefinition;
use serde_json::Value;

const TOP: &[&str] = &["fields", "slug_from"];
const FIELD: &[&str] = &["name", "kind", "required", "filterable", "sortable", "listed"];

fn kind_options(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "string" | "text" | "rich_text" => Some(&["max_length"]),
        "enum" => Some(&["values"]),
        "reference" | "references" => Some(&["target"]),
        "integer" | "number" | "boolean" | "datetime" | "json" | "media" | "parent" => Some(&[]),
        _ => None,
    }
}

fn unknown_members(object: &serde_json::Map<String, Value>, allowed: &[&str], path: &str, out: &mut Vec<Violation>) {
    for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
        out.push(Violation::new(format!("{path}.{key}"), "unknown_member", format!("{key:?} is not allowed here")));
    }
}

pub fn parse_definition(body: &Value) -> Result<TypeDefinition, Vec<Violation>> {
    let mut violations = Vec::new();
    let Some(top) = body.as_object() else {
        return Err(vec![Violation::new("definition", "wrong_kind", "a type definition is a JSON object")]);
    };
    unknown_members(top, TOP, "definition", &mut violations);
    if let Some(fields) = top.get("fields").and_then(Value::as_array) {
        for (i, field) in fields.iter().enumerate() {
            let path = format!("definition.fields[{i}]");
            let Some(field) = field.as_object() else { continue };
            let options = field.get("kind").and_then(Value::as_str).map(|k| (k, kind_options(k)));
            match options {
                Some((_, Some(options))) => {
                    let allowed: Vec<&str> = FIELD.iter().chain(options).copied().collect();
                    unknown_members(field, &allowed, &path, &mut violations);
                }
                Some((kind, None)) => violations.push(Violation::new(
                    format!("{path}.kind"),
                    "unknown_kind",
                    format!(
                        "{kind:?} is not a field kind (string, text, rich_text, integer, number, boolean, datetime, \
                         enum, json, media, reference, references, parent)"
                    ),
                )),
                None => violations.push(Violation::new(format!("{path}.kind"), "required", "every field has a kind")),
            }
        }
    }
    verdict(violations)?;
    serde_json::from_value(body.clone())
        .map_err(|e| vec![Violation::new("definition", "invalid_definition", e.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(body: Value) -> Vec<(&'static str, String)> {
        parse_definition(&body).unwrap_err().into_iter().map(|v| (v.code, v.path)).collect()
    }

    #[test]
    fn a_complete_definition_parses() {
        let body = json!({"fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 5},
            {"name": "body", "kind": "text", "listed": false}
        ], "slug_from": "title"});
        let definition = parse_definition(&body).unwrap();
        assert_eq!(definition.fields.iter().map(|f| f.listed).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn unknown_members_and_kinds_are_named() {
        assert_eq!(
            codes(json!({"fields": [{"name": "a", "kind": "string", "requried": true}], "slugfrom": "a"})),
            [
                ("unknown_member", "definition.slugfrom".into()),
                ("unknown_member", "definition.fields[0].requried".into())
            ]
        );
        assert_eq!(
            codes(json!({"fields": [{"name": "a", "kind": "integer", "max_length": 3}]})),
            [("unknown_member", "definition.fields[0].max_length".into())]
        );
        assert_eq!(
            codes(json!({"fields": [{"name": "a", "kind": "blob"}]})),
            [("unknown_kind", "definition.fields[0].kind".into())]
        );
        assert_eq!(codes(json!({"fields": [{"name": "a"}]})), [("required", "definition.fields[0].kind".into())]);
    }

    #[test]
    fn wrong_shapes_are_invalid_definitions() {
        assert_eq!(codes(json!([])), [("wrong_kind", "definition".into())]);
        assert_eq!(codes(json!({"fields": [{"name": "Bad Name", "kind": "string"}]}))[0].0, "invalid_definition");
        assert_eq!(codes(json!({"fields": "no"}))[0].0, "invalid_definition");
        assert_eq!(codes(json!({}))[0].0, "invalid_definition");
    }
}
