//! The comments projection: one row per comment, threaded, removed ones hidden. Per-item counts
//! are counters, kept by the engagement projection.
//!
//! A comment's `thread` is its parent's thread, '/', its own id (32 hex digits of a UUIDv7, so
//! time-ordered): ordering an item's comments by thread lists each thread depth first, oldest
//! first, with one index range.

mod plan;
mod postgres;
mod sqlite;

pub use plan::{plan, CommentRow, CommentsPlan};

use crate::error::ApplyError;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadTx;
use crate::replay::{delete_by_uuid, uuids, Subject};
use async_trait::async_trait;
use events::DomainEvent;
use std::collections::BTreeSet;

pub const NAME: &str = "comments";

#[derive(Debug, Clone, Copy, Default)]
pub struct CommentsProjection;

#[async_trait]
impl Projection for CommentsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["comments"]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(event_type, "CommentPosted" | "CommentEdited" | "CommentRemoved")
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError> {
        let parents = plan::parents_to_load(events);
        let threads = match tx {
            ReadTx::Postgres(tx) => postgres::threads(tx, &parents).await?,
            ReadTx::Sqlite(tx) => sqlite::threads(tx, &parents).await?,
        };
        let plan = plan(events, &threads).map_err(ApplyError::Rejected)?;
        match tx {
            ReadTx::Postgres(tx) => postgres::write(tx, &plan).await?,
            ReadTx::Sqlite(tx) => sqlite::write(tx, &plan).await?,
        }
        Ok(Applied { items: plan.items.clone(), ..Applied::default() })
    }

    #[allow(clippy::wildcard_enum_match_arm)] // only comment events reach a comments projection
    fn subjects(&self, event: &DomainEvent) -> Vec<Subject> {
        match event {
            DomainEvent::CommentPosted(e) => vec![Subject::Comment(e.comment_id.0)],
            DomainEvent::CommentEdited(e) => vec![Subject::Comment(e.comment_id.0)],
            DomainEvent::CommentRemoved(e) => vec![Subject::Comment(e.comment_id.0)],
            _ => Vec::new(),
        }
    }

    async fn forget(&self, tx: &mut ReadTx, subjects: &BTreeSet<Subject>) -> Result<(), ApplyError> {
        let comments = uuids(subjects, |s| if let Subject::Comment(id) = s { Some(*id) } else { None });
        delete_by_uuid(tx, "comments", "id", &comments).await?;
        Ok(())
    }
}
