//! The stored JSON of every event type is pinned: any change to the wire form shows up as a
//! snapshot diff that must be reviewed (and, if it breaks old events, come with an upcaster).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod support;

use events::DomainEvent;

#[test]
fn there_is_one_example_per_event_type() {
    let examples: Vec<&str> = support::examples().iter().map(DomainEvent::event_type).collect();
    let types: Vec<&str> = DomainEvent::TYPES.iter().map(|(name, _)| *name).collect();
    assert_eq!(examples, types);
}

#[test]
fn stored_form_of_every_event_type() {
    for event in support::examples() {
        let stored = event.to_stored().unwrap();
        insta::assert_json_snapshot!(stored.event_type.clone(), stored);
    }
}
