//! Traffic for the cluster tests: content, comments and engagement events appended straight to
//! the event store, as command-api processes would.

use events::payloads::{
    CommentId, CommentPosted, ContentCreated, ContentId, ContentPublished, ContentTypeDefined, Engagement,
};
use events::{DomainEvent, EventId, ExpectedVersion, Metadata, Slug, StreamId, TypeName, UserId};
use infra::EventStore;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

async fn append(store: &dyn EventStore, stream: String, event: DomainEvent) {
    let new = event.to_new_event(EventId::now_v7(), Metadata::default()).unwrap();
    store.append(StreamId::parse(stream).unwrap(), ExpectedVersion::Any, vec![new]).await.unwrap();
}

pub async fn define_article(store: &dyn EventStore) {
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true, "sortable": true}]});
    let event = DomainEvent::ContentTypeDefined(ContentTypeDefined {
        type_name: TypeName::parse("article").unwrap(),
        definition: serde_json::from_value(definition).unwrap(),
    });
    append(store, "type-article".into(), event).await;
}

/// `rounds` articles, each created, published, viewed by three users and commented on, with
/// `pause` between rounds (traffic that lasts while the test breaks things).
pub async fn write(store: Arc<dyn EventStore>, first: usize, rounds: usize, pause: std::time::Duration) {
    let article = TypeName::parse("article").unwrap();
    for i in first..first + rounds {
        let id = ContentId(Uuid::now_v7());
        let created = ContentCreated {
            content_type: article.clone(),
            content_id: id,
            slug: Slug::parse(format!("a-{i}")).unwrap(),
            fields: json!({"title": format!("A{i}")}).as_object().unwrap().clone(),
        };
        append(store.as_ref(), format!("content-{id}"), DomainEvent::ContentCreated(created)).await;
        let published =
            ContentPublished { content_type: article.clone(), content_id: id, published_at: chrono::Utc::now() };
        append(store.as_ref(), format!("content-{id}"), DomainEvent::ContentPublished(published)).await;
        for user in 0..3 {
            let user = UserId::parse(format!("u{}", (i + user) % 5)).unwrap();
            let viewed = Engagement {
                content_type: article.clone(),
                content_id: id,
                user: user.clone(),
                at: chrono::Utc::now(),
            };
            append(store.as_ref(), format!("activity-{user}"), DomainEvent::ContentViewed(viewed)).await;
        }
        let comment = CommentId(Uuid::now_v7());
        let posted = CommentPosted {
            comment_id: comment,
            content_type: article.clone(),
            content_id: id,
            parent_id: None,
            author: UserId::parse("u1").unwrap(),
            body: format!("comment {i}"),
        };
        append(store.as_ref(), format!("comment-{comment}"), DomainEvent::CommentPosted(posted)).await;
        tokio::time::sleep(pause).await;
    }
}
