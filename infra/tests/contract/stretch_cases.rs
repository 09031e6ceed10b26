//! `read_stretch`: a window of the log with only the asked event types. Each takes a fresh store.

use crate::cases::{new_event, stream};
use crate::fixture::Fixture;
use events::{ExpectedVersion, NewEvent};
use serde_json::json;

pub async fn read_stretch_keeps_only_the_asked_types_and_ends_at_the_window_or_the_head(fixture: &Fixture) {
    let typed = |event_type: &str, n: i32| NewEvent { event_type: event_type.into(), ..new_event(json!({ "n": n })) };
    // Positions 1..=30: a view at every position, a like at every third, a share at every fifth.
    for n in 1..=30 {
        let event_type = if n % 5 == 0 {
            "ContentShared"
        } else if n % 3 == 0 {
            "ContentLiked"
        } else {
            "ContentViewed"
        };
        fixture.store.append(stream("stretch-1"), ExpectedVersion::Any, vec![typed(event_type, n)]).await.unwrap();
    }
    let types = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let wanted = types(&["ContentLiked", "ContentShared"]);

    let first = fixture.store.read_stretch(0, 10, &wanted).await.unwrap();
    assert_eq!(first.through, 10, "the window bounds the stretch");
    let positions: Vec<u64> = first.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, vec![3, 5, 6, 9, 10], "every event of the asked types in (0, 10], in order");
    assert!(first.events.iter().all(|e| wanted.contains(&e.event_type)));
    assert_eq!(first.events[0].data, json!({ "n": 3 }), "events are whole");

    let rest = fixture.store.read_stretch(10, 1_000, &wanted).await.unwrap();
    assert_eq!(rest.through, 30, "the head bounds the stretch");
    let positions: Vec<u64> = rest.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, vec![12, 15, 18, 20, 21, 24, 25, 27, 30]);

    let at_head = fixture.store.read_stretch(30, 1_000, &wanted).await.unwrap();
    assert_eq!((at_head.events.len(), at_head.through), (0, 30), "nothing after the head");

    let none = fixture.store.read_stretch(0, 1_000, &types(&["ApiKeyIssued"])).await.unwrap();
    assert_eq!((none.events.len(), none.through), (0, 30), "a stretch of no matching event still moves on");
    let no_types = fixture.store.read_stretch(0, 1_000, &[]).await.unwrap();
    assert_eq!((no_types.events.len(), no_types.through), (0, 30));
}

/// `subscribe_types`: only the asked types, in order, across stretches with nothing to hand out
/// (more views in a row than one stretch holds), then live.
pub async fn subscribe_types_hands_out_only_the_asked_types_then_goes_live(fixture: &Fixture) {
    let typed = |event_type: &str, n: usize| NewEvent { event_type: event_type.into(), ..new_event(json!({ "n": n })) };
    let s = stream("typed-tail-1");
    // Positions 1..=12: views, a like at every fourth.
    for n in 1..=12 {
        let event_type = if n % 4 == 0 { "ContentLiked" } else { "ContentViewed" };
        fixture.store.append(s.clone(), ExpectedVersion::Any, vec![typed(event_type, n)]).await.unwrap();
    }
    let mut subscription = fixture.store.subscribe_types(2, vec!["ContentLiked".to_owned()]);
    for expected in [4, 8, 12] {
        let event = crate::cases::next(&mut subscription).await;
        assert_eq!((event.position, event.event_type.as_str()), (expected, "ContentLiked"));
    }
    // 12,000 views (more than one stretch), then a like at 12,013, appended while it waits.
    let writer = fixture.store.clone();
    let live = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for chunk in 0..12 {
            let views = (0..1000).map(|i| typed("ContentViewed", 13 + chunk * 1000 + i)).collect();
            writer.append(stream("typed-tail-views"), ExpectedVersion::Any, views).await.unwrap();
        }
        writer.append(stream("typed-tail-1"), ExpectedVersion::Any, vec![typed("ContentLiked", 12_013)]).await.unwrap()
    });
    let event = crate::cases::next(&mut subscription).await;
    assert_eq!((event.position, event.data.clone()), (12_013, json!({ "n": 12_013 })), "the views were skipped");
    assert_eq!(live.await.unwrap().position(), 12_013);
}
