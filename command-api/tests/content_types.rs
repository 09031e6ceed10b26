//! Given a type's state, when a definition is PUT, then the decision (or every broken rule).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use command_api::content_types::{decide_define, evolve, TypeState};
use command_api::Violation;
use events::schema::TypeDefinition;
use events::{DomainEvent, TypeName};
use serde_json::json;

fn name(s: &str) -> TypeName {
    TypeName::parse(s).unwrap()
}

fn definition(value: serde_json::Value) -> TypeDefinition {
    serde_json::from_value(value).unwrap()
}

fn known(types: &'static [&'static str]) -> impl Fn(&TypeName) -> bool {
    move |t: &TypeName| types.contains(&t.as_str())
}

fn article() -> TypeDefinition {
    definition(json!({
        "fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 200},
            {"name": "author", "kind": "reference", "target": "author", "filterable": true},
            {"name": "tags", "kind": "references", "target": "tag", "filterable": true},
            {"name": "level", "kind": "enum", "values": ["beginner", "expert"]},
            {"name": "published_on", "kind": "datetime", "sortable": true}
        ],
        "slug_from": "title"
    }))
}

fn defined(def: TypeDefinition) -> TypeState {
    let event = DomainEvent::ContentTypeDefined(events::payloads::ContentTypeDefined {
        type_name: name("article"),
        definition: def,
    });
    evolve(TypeState::default(), &event)
}

fn codes(result: Result<Option<DomainEvent>, Vec<Violation>>) -> Vec<(&'static str, String)> {
    result.unwrap_err().into_iter().map(|v| (v.code, v.path)).collect()
}

#[test]
fn a_new_valid_type_is_defined() {
    let event = decide_define(&name("article"), article(), &TypeState::default(), &known(&["author", "tag"])).unwrap();
    assert!(matches!(event, Some(DomainEvent::ContentTypeDefined(e)) if e.definition == article()));
}

#[test]
fn putting_the_same_definition_again_appends_nothing() {
    let state = defined(article());
    assert_eq!(decide_define(&name("article"), article(), &state, &known(&["author", "tag"])).unwrap(), None);
}

#[test]
fn references_must_name_defined_types_or_the_type_itself() {
    let result = decide_define(&name("article"), article(), &TypeState::default(), &known(&["author"]));
    assert_eq!(codes(result), [("unknown_type", "definition.fields[2].target".into())]);
    let self_ref = definition(json!({"fields": [{"name": "related", "kind": "references", "target": "article"}]}));
    assert!(decide_define(&name("article"), self_ref, &TypeState::default(), &known(&[])).is_ok());
}

#[test]
fn every_broken_definition_rule_is_reported_with_its_path() {
    let bad = definition(json!({
        "fields": [
            {"name": "title", "kind": "string"},
            {"name": "title", "kind": "integer"},
            {"name": "slug", "kind": "string"},
            {"name": "body", "kind": "rich_text", "filterable": true, "max_length": 0},
            {"name": "meta", "kind": "json", "sortable": true},
            {"name": "level", "kind": "enum", "values": ["a", "a", ""]},
            {"name": "up", "kind": "parent"},
            {"name": "up2", "kind": "parent"}
        ],
        "slug_from": "title"
    }));
    let found = codes(decide_define(&name("article"), bad, &TypeState::default(), &known(&[])));
    let expected: Vec<(&str, String)> = vec![
        ("duplicate_field", "definition.fields[1]".into()),
        ("reserved_field", "definition.fields[2]".into()),
        ("not_filterable", "definition.fields[3]".into()),
        ("bad_limit", "definition.fields[3].max_length".into()),
        ("not_sortable", "definition.fields[4]".into()),
        ("bad_enum", "definition.fields[5].values[1]".into()),
        ("bad_enum", "definition.fields[5].values[2]".into()),
        ("several_parents", "definition.fields".into()),
        ("bad_slug_source", "definition.slug_from".into()),
    ];
    assert_eq!(found, expected);
}

#[test]
fn a_type_needs_at_least_one_field_and_slug_from_must_exist() {
    let empty = definition(json!({"fields": []}));
    assert_eq!(codes(decide_define(&name("x"), empty, &TypeState::default(), &known(&[])))[0].0, "field_count");
    let missing = definition(json!({"fields": [{"name": "a", "kind": "string"}], "slug_from": "title"}));
    assert_eq!(codes(decide_define(&name("x"), missing, &TypeState::default(), &known(&[])))[0].0, "unknown_field");
}

#[test]
fn compatible_revisions_are_accepted() {
    let state = defined(article());
    let revised = definition(json!({
        "fields": [
            {"name": "published_on", "kind": "datetime", "sortable": false, "filterable": true},
            {"name": "title", "kind": "string", "required": true, "max_length": 500},
            {"name": "author", "kind": "reference", "target": "author"},
            {"name": "tags", "kind": "references", "target": "tag", "filterable": true},
            {"name": "level", "kind": "enum", "values": ["beginner", "expert", "master"], "required": false},
            {"name": "summary", "kind": "text"}
        ],
        "slug_from": "title"
    }));
    let event = decide_define(&name("article"), revised.clone(), &state, &known(&["author", "tag"])).unwrap();
    assert!(matches!(event, Some(DomainEvent::ContentTypeRevised(e)) if e.definition == revised));
}

#[test]
fn revisions_existing_content_could_violate_are_rejected() {
    let state = defined(article());
    let revised = definition(json!({
        "fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 100},
            {"name": "author", "kind": "reference", "target": "user", "required": true},
            {"name": "tags", "kind": "string"},
            {"name": "level", "kind": "enum", "values": ["beginner"]},
            {"name": "rating", "kind": "integer", "required": true}
        ],
        "slug_from": "title"
    }));
    let found = codes(decide_define(&name("article"), revised, &state, &known(&["author", "tag", "user"])));
    let expected: Vec<(&str, String)> = vec![
        ("limit_tightened", "definition.fields[0].max_length".into()),
        ("field_made_required", "definition.fields[1]".into()),
        ("field_kind_changed", "definition.fields[1].target".into()),
        ("field_kind_changed", "definition.fields[2]".into()),
        ("enum_value_removed", "definition.fields[3].values".into()),
        ("field_removed", "definition.fields".into()),
        ("new_field_required", "definition.fields[4]".into()),
    ];
    assert_eq!(found, expected);
}

#[test]
fn adding_a_limit_where_there_was_none_is_tightening() {
    let state = defined(definition(json!({"fields": [{"name": "note", "kind": "text"}]})));
    let revised = definition(json!({"fields": [{"name": "note", "kind": "text", "max_length": 10}]}));
    assert_eq!(codes(decide_define(&name("article"), revised, &state, &known(&[])))[0].0, "limit_tightened");
}
