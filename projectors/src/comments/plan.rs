//! What a batch of comment events writes. Pure.

use crate::projection::Decoded;
use chrono::{DateTime, Utc};
use events::DomainEvent;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// A comment posted in this batch (edits and removals of it in the same batch already applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRow {
    pub id: Uuid,
    pub item_id: Uuid,
    pub type_name: String,
    pub parent_id: Option<Uuid>,
    pub thread: String,
    pub author: String,
    pub body: String,
    pub removed: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub position: i64,
}

/// Edits to comments posted in earlier batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub body: Option<(String, DateTime<Utc>)>,
    pub removed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentsPlan {
    pub inserts: Vec<CommentRow>,
    pub updates: BTreeMap<Uuid, Update>,
    pub items: BTreeSet<Uuid>,
}

/// Parents of replies in this batch that were posted before it: their threads must be read.
pub fn parents_to_load(events: &[Decoded]) -> Vec<Uuid> {
    let mut posted = BTreeSet::new();
    let mut wanted = BTreeSet::new();
    for decoded in events {
        if let DomainEvent::CommentPosted(e) = &decoded.event {
            if let Some(parent) = e.parent_id {
                if !posted.contains(&parent.0) {
                    wanted.insert(parent.0);
                }
            }
            posted.insert(e.comment_id.0);
        }
    }
    wanted.into_iter().collect()
}

/// Plans the writes; `threads` holds the threads of [`parents_to_load`]. Fails if a reply's
/// parent is unknown (the command side never allows that, so the event is parked).
pub fn plan(events: &[Decoded], threads: &HashMap<Uuid, String>) -> Result<CommentsPlan, String> {
    let mut plan = CommentsPlan::default();
    let mut new_rows: HashMap<Uuid, usize> = HashMap::new();
    for decoded in events {
        match &decoded.event {
            DomainEvent::CommentPosted(e) => {
                let own = e.comment_id.0.simple().to_string();
                let thread = match e.parent_id {
                    None => own,
                    Some(parent) => {
                        let parent_thread = new_rows
                            .get(&parent.0)
                            .and_then(|&i| plan.inserts.get(i))
                            .map(|row| row.thread.as_str())
                            .or_else(|| threads.get(&parent.0).map(String::as_str))
                            .ok_or_else(|| format!("comment {} replies to unknown comment {parent}", e.comment_id))?;
                        format!("{parent_thread}/{own}")
                    }
                };
                new_rows.insert(e.comment_id.0, plan.inserts.len());
                plan.items.insert(e.content_id.0);
                plan.inserts.push(CommentRow {
                    id: e.comment_id.0,
                    item_id: e.content_id.0,
                    type_name: e.content_type.to_string(),
                    parent_id: e.parent_id.map(|p| p.0),
                    thread,
                    author: e.author.to_string(),
                    body: e.body.clone(),
                    removed: false,
                    created_at: decoded.recorded_at,
                    edited_at: None,
                    position: i64::try_from(decoded.position).unwrap_or(i64::MAX),
                });
            }
            DomainEvent::CommentEdited(e) => {
                plan.items.insert(e.content_id.0);
                match new_rows.get(&e.comment_id.0).and_then(|&i| plan.inserts.get_mut(i)) {
                    Some(row) => {
                        row.body.clone_from(&e.body);
                        row.edited_at = Some(decoded.recorded_at);
                    }
                    None => {
                        plan.updates.entry(e.comment_id.0).or_default().body =
                            Some((e.body.clone(), decoded.recorded_at));
                    }
                }
            }
            DomainEvent::CommentRemoved(e) => {
                plan.items.insert(e.content_id.0);
                match new_rows.get(&e.comment_id.0).and_then(|&i| plan.inserts.get_mut(i)) {
                    Some(row) => row.removed = true,
                    None => plan.updates.entry(e.comment_id.0).or_default().removed = true,
                }
            }
            DomainEvent::ContentTypeDefined(_)
            | DomainEvent::ContentTypeRevised(_)
            | DomainEvent::ContentCreated(_)
            | DomainEvent::ContentRevised(_)
            | DomainEvent::ContentPublished(_)
            | DomainEvent::ContentUnpublished(_)
            | DomainEvent::ContentScheduled(_)
            | DomainEvent::ContentArchived(_)
            | DomainEvent::SlugClaimed(_)
            | DomainEvent::SlugReleased(_)
            | DomainEvent::ContentViewed(_)
            | DomainEvent::ContentLiked(_)
            | DomainEvent::ContentUnliked(_)
            | DomainEvent::ContentShared(_)
            | DomainEvent::ContentBookmarked(_)
            | DomainEvent::ContentUnbookmarked(_)
            | DomainEvent::ApiKeyIssued(_)
            | DomainEvent::ApiKeyRevoked(_)
            | DomainEvent::IdempotentRequestRecorded(_) => {}
        }
    }
    Ok(plan)
}
