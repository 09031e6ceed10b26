use crate::support::TestApp;
use chrono::{Duration, Utc};
use command_api::scheduler::Scheduler;
use events::payloads::Role;
use serde_json::json;

async fn scheduled_item(app: &TestApp, editor: &str, title: &str, at: chrono::DateTime<Utc>) -> String {
    let created =
        app.send("POST", "/v1/content/article", Some(editor), Some(json!({"fields": {"title": title}}))).await;
    let path = format!("/v1/content/article/{}", created.body["id"].as_str().unwrap());
    let reply =
        app.send("POST", &format!("{path}/schedule"), Some(editor), Some(json!({"publish_at": at.to_rfc3339()}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    path
}

async fn published_at(app: &TestApp, path: &str) -> Vec<String> {
    let id = path.rsplit('/').next().unwrap();
    app.stream(&format!("content-{id}"))
        .await
        .into_iter()
        .filter(|e| e.event_type == "ContentPublished")
        .map(|e| e.data["published_at"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn two_schedulers_publish_a_due_item_exactly_once(app: &TestApp) {
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true}], "slug_from": "title"});
    app.send("PUT", "/v1/types/article", Some(&app.admin), Some(definition)).await;
    let editor = app.key(Role::Editor).await;
    let now = Utc::now();
    let soon = now + Duration::hours(1);
    let due = scheduled_item(app, &editor, "Due", soon).await;
    let cancelled = scheduled_item(app, &editor, "Cancelled", soon).await;
    app.send("POST", &format!("{cancelled}/unpublish"), Some(&editor), None).await;
    let moved = scheduled_item(app, &editor, "Moved", soon).await;
    let later = now + Duration::hours(5);
    app.send("POST", &format!("{moved}/schedule"), Some(&editor), Some(json!({"publish_at": later.to_rfc3339()})))
        .await;

    // Two processes' schedulers, ticking at the same moment.
    let (mut first, mut second) = (Scheduler::new(app.store.clone()), Scheduler::new(app.store.clone()));
    let at = now + Duration::hours(2);
    let (a, b) = tokio::join!(first.tick(at), second.tick(at));
    let published: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(published.len(), 1, "exactly one scheduler published, once");
    let times = published_at(app, &due).await;
    assert_eq!(times.len(), 1);
    assert_eq!(chrono::DateTime::parse_from_rfc3339(&times[0]).unwrap(), soon, "published at the scheduled time");
    let id = due.rsplit('/').next().unwrap();
    let history = app.stream(&format!("content-{id}")).await;
    let (scheduled, publish) = (&history[history.len() - 2], &history[history.len() - 1]);
    assert_eq!(publish.metadata.actor.as_deref(), Some("scheduler"));
    assert_eq!(publish.metadata.causation_id, Some(scheduled.event_id.0), "caused by the schedule");
    assert_eq!(publish.metadata.correlation_id, scheduled.metadata.correlation_id);
    assert!(published_at(app, &cancelled).await.is_empty(), "an unpublished schedule is not published");
    assert!(published_at(app, &moved).await.is_empty(), "a rescheduled item waits for its new time");

    assert!(first.tick(at).await.unwrap().is_empty(), "nothing is published twice");
    let (a, b) = tokio::join!(first.tick(now + Duration::hours(6)), second.tick(now + Duration::hours(6)));
    assert_eq!(a.unwrap().len() + b.unwrap().len(), 1);
    assert_eq!(published_at(app, &moved).await.len(), 1);
    let status = app.send("POST", &format!("{moved}/publish"), Some(&editor), None).await;
    assert_eq!(status.body["status"], "published");
}

/// A tick reads the log up to the head it found and publishes, however fast events keep coming
/// (here a writer appends views the whole time); the schedule learnt is the same.
pub async fn a_tick_ends_while_events_keep_coming(app: &TestApp) {
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true}], "slug_from": "title"});
    app.send("PUT", "/v1/types/article", Some(&app.admin), Some(definition)).await;
    let editor = app.key(Role::Editor).await;
    let site = app.key(Role::Site).await;
    let now = Utc::now();
    let created =
        app.send("POST", "/v1/content/article", Some(&editor), Some(json!({"fields": {"title": "Viewed"}}))).await;
    let viewed = format!("/v1/content/article/{}", created.body["id"].as_str().unwrap());
    assert_eq!(app.send("POST", &format!("{viewed}/publish"), Some(&editor), None).await.status, 200);
    let due = scheduled_item(app, &editor, "Due", now + Duration::hours(1)).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (client, url, site, stop) = (app.client.clone(), format!("{}{viewed}/views", app.url), site, stop.clone());
        async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = client.post(&url).bearer_auth(&site).json(&json!({"user": format!("u{n}")})).send().await;
                assert!(reply.unwrap().status().is_success());
                n += 1;
            }
            n
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut scheduler = Scheduler::new(app.store.clone());
    let published =
        tokio::time::timeout(std::time::Duration::from_secs(20), scheduler.tick(now + Duration::hours(2))).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let views = writer.await.unwrap();
    assert_eq!(published.expect("the tick ended").unwrap().len(), 1, "the due item was published");
    assert_eq!(published_at(app, &due).await.len(), 1);
    assert!(views > 0, "views were appended throughout");
}
