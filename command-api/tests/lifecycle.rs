//! Given an item's history, when a lifecycle command arrives, then what is appended (or why not).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chrono::{DateTime, TimeZone, Utc};
use command_api::content::*;
use events::payloads::ContentId;
use events::schema::TypeDefinition;
use events::{DomainEvent, Slug, TypeName};
use serde_json::{json, Map, Value};
use uuid::Uuid;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_704_067_200 + s, 0).unwrap()
}

fn id() -> ContentId {
    ContentId(Uuid::from_u128(7))
}

fn article() -> TypeDefinition {
    serde_json::from_value(json!({
        "fields": [
            {"name": "title", "kind": "string", "required": true},
            {"name": "tag", "kind": "reference", "target": "tag"},
            {"name": "tags", "kind": "references", "target": "tag"}
        ],
        "slug_from": "title"
    }))
    .unwrap()
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn name() -> TypeName {
    TypeName::parse("article").unwrap()
}

/// Given these events, the state.
fn given(events: &[DomainEvent]) -> ContentState {
    events.iter().fold(ContentState::default(), |s, e| evolve(s, e, Some("key:abc")))
}

fn created() -> DomainEvent {
    decide_create(&name(), &article(), id(), fields(json!({"title": "Hello, World"})), None).unwrap().event
}

#[test]
fn create_derives_the_slug_from_the_title_or_takes_the_given_one() {
    let create = decide_create(&name(), &article(), id(), fields(json!({"title": "Hello, World"})), None).unwrap();
    assert_eq!(create.slug.as_str(), "hello-world");
    let given_slug = Slug::parse("custom").unwrap();
    let create =
        decide_create(&name(), &article(), id(), fields(json!({"title": "Hi"})), Some(given_slug.clone())).unwrap();
    assert_eq!(create.slug, given_slug);
    let none = decide_create(&name(), &article(), id(), fields(json!({"title": "!!!"})), None).unwrap_err();
    assert!(matches!(none, ContentError::Invalid(v) if v[0].code == "slug_required"));
    let bad = decide_create(&name(), &article(), id(), fields(json!({})), None).unwrap_err();
    assert!(matches!(bad, ContentError::Invalid(v) if v[0].code == "required"));
}

#[test]
fn the_creator_owns_the_item_and_it_starts_as_a_draft() {
    let state = given(&[created()]);
    assert_eq!(state.status, Status::Draft);
    assert_eq!(state.owner.as_deref(), Some("key:abc"));
    assert_eq!(state.slug.as_ref().map(Slug::as_str), Some("hello-world"));
}

#[test]
fn a_revision_carries_only_real_changes_and_their_references() {
    let tag = "0190a8e4-0000-7000-8000-000000000001";
    let state = given(&[created()]);
    let revise = decide_revise(&state, &article(), id(), fields(json!({"title": "Hello, World", "tags": [tag]})), None)
        .unwrap()
        .unwrap();
    let DomainEvent::ContentRevised(event) = &revise.event else { panic!() };
    assert_eq!(Value::Object(event.fields.clone()), json!({"tags": [tag]}), "the unchanged title is left out");
    assert_eq!(revise.references.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["fields.tags[0]"]);
    assert_eq!(revise.slug_change, None);

    let same = decide_revise(&state, &article(), id(), fields(json!({"title": "Hello, World"})), None).unwrap();
    assert_eq!(same, None, "nothing changes, nothing is appended");
    let state = given(&[created(), revise.event.clone()]);
    assert_eq!(state.fields["tags"], json!([tag]));
}

#[test]
fn a_revision_can_move_the_slug_and_clear_optional_fields() {
    let tag = "0190a8e4-0000-7000-8000-000000000001";
    let state = given(&[created()]);
    let first = decide_revise(&state, &article(), id(), fields(json!({"tag": tag})), None).unwrap().unwrap();
    let state = given(&[created(), first.event]);
    let new_slug = Slug::parse("goodbye").unwrap();
    let revise =
        decide_revise(&state, &article(), id(), fields(json!({"tag": null})), Some(new_slug.clone())).unwrap().unwrap();
    assert_eq!(revise.slug_change, Some((Slug::parse("hello-world").unwrap(), new_slug.clone())));
    let state = given(&[created(), revise.event]);
    assert!(!state.fields.contains_key("tag"));
    assert_eq!(state.slug, Some(new_slug));
}

#[test]
fn empty_and_invalid_revisions_are_refused() {
    let state = given(&[created()]);
    let empty = decide_revise(&state, &article(), id(), Map::new(), None).unwrap_err();
    assert!(matches!(empty, ContentError::Invalid(v) if v[0].code == "empty_revision"));
    let cleared = decide_revise(&state, &article(), id(), fields(json!({"title": null})), None).unwrap_err();
    assert!(matches!(cleared, ContentError::Invalid(v) if v[0].code == "required"));
    let missing = decide_revise(&ContentState::default(), &article(), id(), fields(json!({"title": "x"})), None);
    assert_eq!(missing.unwrap_err(), ContentError::NotFound);
}

#[test]
fn publish_unpublish_schedule_and_archive_follow_the_lifecycle() {
    let draft = given(&[created()]);
    let publish = decide_publish(&draft, id(), t(10)).unwrap().unwrap();
    let published = given(&[created(), publish.clone()]);
    assert_eq!((published.status, published.published_at), (Status::Published, Some(t(10))));
    assert_eq!(decide_publish(&published, id(), t(20)).unwrap(), None, "publishing twice changes nothing");
    assert_eq!(decide_schedule(&published, id(), t(99), t(20)).unwrap_err(), ContentError::AlreadyPublished);

    let unpublish = decide_unpublish(&published, id()).unwrap().unwrap();
    let draft_again = given(&[created(), publish.clone(), unpublish.clone()]);
    assert_eq!(draft_again.status, Status::Draft);
    assert_eq!(decide_unpublish(&draft_again, id()).unwrap(), None);

    let schedule = decide_schedule(&draft_again, id(), t(100), t(30)).unwrap().unwrap();
    let scheduled = given(&[created(), publish.clone(), unpublish.clone(), schedule.clone()]);
    assert_eq!((scheduled.status, scheduled.publish_at), (Status::Scheduled, Some(t(100))));
    assert_eq!(decide_schedule(&scheduled, id(), t(100), t(30)).unwrap(), None, "same schedule again");
    let past = decide_schedule(&draft_again, id(), t(30), t(30)).unwrap_err();
    assert!(matches!(past, ContentError::Invalid(v) if v[0].code == "publish_at_in_past"));

    let archive = decide_archive(&scheduled, id()).unwrap().unwrap();
    let archived = given(&[created(), publish, unpublish, schedule, archive]);
    assert_eq!(archived.status, Status::Archived);
    assert_eq!(decide_archive(&archived, id()).unwrap(), None);
    assert_eq!(decide_publish(&archived, id(), t(200)).unwrap_err(), ContentError::Archived);
    assert_eq!(decide_unpublish(&archived, id()).unwrap_err(), ContentError::Archived);
    assert_eq!(
        decide_revise(&archived, &article(), id(), fields(json!({"title": "x"})), None).unwrap_err(),
        ContentError::Archived
    );
}

#[test]
fn a_parent_may_not_be_the_item_or_one_of_its_descendants() {
    let (a, b, c) = (ContentId(Uuid::from_u128(1)), ContentId(Uuid::from_u128(2)), ContentId(Uuid::from_u128(3)));
    assert!(creates_cycle(a, a, &[]));
    assert!(creates_cycle(a, c, &[b, a]), "a -> c -> b -> a");
    assert!(!creates_cycle(a, c, &[b]));
}

#[test]
fn slugs_are_held_until_released() {
    let claim = DomainEvent::SlugClaimed(events::payloads::SlugClaimed {
        content_type: name(),
        slug: Slug::parse("x").unwrap(),
        content_id: id(),
    });
    let release = DomainEvent::SlugReleased(events::payloads::SlugReleased {
        content_type: name(),
        slug: Slug::parse("x").unwrap(),
        content_id: id(),
    });
    let held = evolve_slug(SlugState::default(), &claim);
    assert_eq!(held.holder, Some(id()));
    assert_eq!(evolve_slug(held, &release).holder, None);
    assert_eq!(slug_stream(&name(), &Slug::parse("x").unwrap()).unwrap().as_str(), "slug-article:x");
}
