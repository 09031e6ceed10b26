//! Given a type, when an item's fields are checked, then the references to resolve or every
//! violation with its field path.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use command_api::content::{check_fields, Mode, DEFAULT_STRING_MAX};
use events::schema::TypeDefinition;
use events::TypeName;
use serde_json::{json, Map, Value};

const A: &str = "0190a8e4-0000-7000-8000-000000000001";
const B: &str = "0190a8e4-0000-7000-8000-000000000002";

fn course() -> TypeDefinition {
    serde_json::from_value(json!({
        "fields": [
            {"name": "title", "kind": "string", "required": true, "max_length": 10},
            {"name": "body", "kind": "rich_text"},
            {"name": "lessons", "kind": "integer"},
            {"name": "price", "kind": "number"},
            {"name": "free", "kind": "boolean"},
            {"name": "starts", "kind": "datetime"},
            {"name": "level", "kind": "enum", "values": ["easy", "hard"]},
            {"name": "extra", "kind": "json"},
            {"name": "cover", "kind": "media"},
            {"name": "teacher", "kind": "reference", "target": "author"},
            {"name": "tags", "kind": "references", "target": "tag"},
            {"name": "parent", "kind": "parent"}
        ]
    }))
    .unwrap()
}

/// (path, target type, is_parent) of each reference to resolve.
type Refs = Vec<(String, String, bool)>;
/// (code, path) of each violation.
type Codes = Vec<(&'static str, String)>;

fn check(fields: Value, mode: Mode) -> Result<Refs, Codes> {
    let map: Map<String, Value> = fields.as_object().unwrap().clone();
    check_fields(&TypeName::parse("course").unwrap(), &course(), &map, mode)
        .map(|refs| refs.into_iter().map(|r| (r.path, r.target.to_string(), r.is_parent)).collect())
        .map_err(|vs| vs.into_iter().map(|v| (v.code, v.path)).collect())
}

#[test]
fn valid_fields_of_every_kind_pass_and_yield_their_references() {
    let refs = check(
        json!({
            "title": "Rust 101", "body": "<p>Hi</p>", "lessons": 12, "price": 9.5, "free": false,
            "starts": "2024-01-01T10:00:00+02:00", "level": "easy", "extra": {"any": ["thing"]},
            "cover": {"url": "https://cdn.example/c.png", "alt": "cover", "width": 800, "height": 600},
            "teacher": A, "tags": [A, B], "parent": B
        }),
        Mode::Create,
    )
    .unwrap();
    assert_eq!(
        refs,
        [
            ("fields.teacher".into(), "author".into(), false),
            ("fields.tags[0]".into(), "tag".into(), false),
            ("fields.tags[1]".into(), "tag".into(), false),
            ("fields.parent".into(), "course".into(), true),
        ]
    );
}

#[test]
fn each_kind_of_bad_value_is_reported_at_its_path() {
    let errors = check(
        json!({
            "title": "far too long a title", "body": 5, "lessons": 1.5, "price": "9", "free": "no",
            "starts": "yesterday", "level": "medium", "cover": {"url": "", "size": 3},
            "teacher": "not-a-uuid", "tags": [A, A, 7], "unknown": 1
        }),
        Mode::Create,
    )
    .unwrap_err();
    let expected: Vec<(&str, String)> = vec![
        ("unknown_field", "fields.unknown".into()),
        ("too_long", "fields.title".into()),
        ("wrong_kind", "fields.body".into()),
        ("wrong_kind", "fields.lessons".into()),
        ("wrong_kind", "fields.price".into()),
        ("wrong_kind", "fields.free".into()),
        ("wrong_kind", "fields.starts".into()),
        ("not_in_enum", "fields.level".into()),
        ("bad_media", "fields.cover.url".into()),
        ("bad_media", "fields.cover.size".into()),
        ("wrong_kind", "fields.teacher".into()),
        ("duplicate_reference", "fields.tags[1]".into()),
        ("wrong_kind", "fields.tags[2]".into()),
    ];
    assert_eq!(errors, expected);
}

#[test]
fn required_fields_must_be_present_on_create_and_cannot_be_cleared() {
    assert_eq!(check(json!({}), Mode::Create).unwrap_err(), [("required", "fields.title".into())]);
    assert!(check(json!({"lessons": 3}), Mode::Revise).is_ok(), "a revision carries only what changed");
    assert_eq!(check(json!({"title": null}), Mode::Revise).unwrap_err(), [("required", "fields.title".into())]);
    assert!(check(json!({"title": "t", "body": null}), Mode::Revise).is_ok(), "optional fields can be cleared");
}

#[test]
fn limits_count_characters_not_bytes_and_nul_is_refused() {
    assert!(check(json!({"title": "ÄÖÜäöüßéèê"}), Mode::Create).is_ok(), "10 characters, 20 bytes");
    assert_eq!(
        check(json!({"title": "a\u{0}b"}), Mode::Create).unwrap_err(),
        [("bad_character", "fields.title".into())]
    );
    let def: TypeDefinition = serde_json::from_value(json!({"fields": [{"name": "s", "kind": "string"}]})).unwrap();
    let long: Map<String, Value> =
        json!({"s": "x".repeat(DEFAULT_STRING_MAX as usize + 1)}).as_object().unwrap().clone();
    let errors = check_fields(&TypeName::parse("t").unwrap(), &def, &long, Mode::Create).unwrap_err();
    assert_eq!(errors[0].code, "too_long", "strings without max_length still have a default limit");
}

#[test]
fn integers_must_fit_64_bits() {
    assert!(check(json!({"title": "t", "lessons": i64::MAX}), Mode::Create).is_ok());
    assert_eq!(
        check(json!({"title": "t", "lessons": u64::MAX}), Mode::Create).unwrap_err(),
        [("wrong_kind", "fields.lessons".into())]
    );
}
