//! Given a comment's history, when it is posted, edited or removed, then what is appended.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use command_api::comments::*;
use events::payloads::{CommentId, ContentId};
use events::{DomainEvent, TypeName, UserId};
use uuid::Uuid;

fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

fn item(n: u128) -> ContentId {
    ContentId(Uuid::from_u128(n))
}

fn post(id: u128, on: u128, parent: Option<(CommentId, &CommentState)>) -> Result<DomainEvent, CommentError> {
    let article = TypeName::parse("article").unwrap();
    decide_post(CommentId(Uuid::from_u128(id)), article, item(on), parent, user("ada"), "First!".into())
}

fn given(events: &[DomainEvent]) -> CommentState {
    events.iter().fold(CommentState::default(), evolve)
}

#[test]
fn replies_need_a_live_parent_on_the_same_item() {
    let root = given(&[post(1, 9, None).unwrap()]);
    assert!(post(2, 9, Some((CommentId(Uuid::from_u128(1)), &root))).is_ok());
    let elsewhere = post(2, 8, Some((CommentId(Uuid::from_u128(1)), &root))).unwrap_err();
    assert!(matches!(elsewhere, CommentError::Invalid(v) if v[0].code == "unknown_parent"));
    let removed = given(&[post(1, 9, None).unwrap(), decide_remove(&root, None, None).unwrap().unwrap()]);
    assert!(post(2, 9, Some((CommentId(Uuid::from_u128(1)), &removed))).is_err());
    assert!(post(2, 9, Some((CommentId(Uuid::from_u128(5)), &CommentState::default()))).is_err());
}

#[test]
fn bodies_have_limits() {
    for (body, code) in [("  ", "empty_body"), ("a\0b", "bad_character")] {
        assert!(matches!(check_body(body), Err(CommentError::Invalid(v)) if v[0].code == code));
    }
    let long = "x".repeat(MAX_BODY_CHARS + 1);
    assert!(matches!(check_body(&long), Err(CommentError::Invalid(v)) if v[0].code == "too_long"));
    assert!(check_body(&"é".repeat(MAX_BODY_CHARS)).is_ok(), "characters, not bytes");
}

#[test]
fn only_the_author_edits_and_the_same_text_appends_nothing() {
    let state = given(&[post(1, 9, None).unwrap()]);
    assert_eq!(decide_edit(&state, &user("bob"), "mine now".into()), Err(CommentError::NotAuthor));
    assert_eq!(decide_edit(&state, &user("ada"), "First!".into()), Ok(None));
    let edit = decide_edit(&state, &user("ada"), "Second thoughts".into()).unwrap().unwrap();
    assert_eq!(evolve(state, &edit).posted.unwrap().body, "Second thoughts");
}

#[test]
fn the_author_or_a_moderator_removes_once() {
    let state = given(&[post(1, 9, None).unwrap()]);
    assert_eq!(decide_remove(&state, Some(&user("bob")), None), Err(CommentError::NotAuthor));
    let by_author = decide_remove(&state, Some(&user("ada")), None).unwrap().unwrap();
    let by_moderator = decide_remove(&state, None, Some("spam".into())).unwrap().unwrap();
    assert!(matches!(by_moderator, DomainEvent::CommentRemoved(ref r) if r.reason.as_deref() == Some("spam")));
    let removed = evolve(state, &by_author);
    assert_eq!(decide_remove(&removed, None, None), Ok(None));
    assert_eq!(decide_edit(&removed, &user("ada"), "back".into()), Err(CommentError::Removed));
    assert_eq!(decide_edit(&CommentState::default(), &user("ada"), "x".into()), Err(CommentError::NotFound));
}
