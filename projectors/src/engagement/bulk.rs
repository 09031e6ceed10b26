//! The engagement projection's variant for a rebuild's catch-up ([`Projection::bulk_build`]):
//! everything as [`EngagementProjection`] does it, except that views are not added to the
//! items' counters batch by batch, and on SQLite not to the (user, item) rows either: they are
//! appended to `user_item_views_staged`. [`EngagementProjection::complete_bulk_build`] merges
//! them into `user_items` (SQLite) and sums the counters from it once the rebuild has caught
//! up. Likes and bookmarks go to `user_items` as they come; the merge leaves them as they are.

use super::fold::{fold_with, ViewCounts};
use super::EngagementProjection;
use crate::error::ApplyError;
use crate::projection::{Applied, Decoded, Projection};
use crate::read_store::ReadTx;
use crate::replay::{uuids, Subject};
use async_trait::async_trait;
use events::DomainEvent;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, Default)]
pub struct EngagementWithStagedViews;

#[async_trait]
impl Projection for EngagementWithStagedViews {
    fn name(&self) -> &'static str {
        EngagementProjection.name()
    }

    fn tables(&self) -> &'static [&'static str] {
        EngagementProjection.tables()
    }

    fn handles(&self, event_type: &str) -> bool {
        EngagementProjection.handles(event_type)
    }

    fn deferred_indexes(&self) -> &'static [&'static str] {
        EngagementProjection.deferred_indexes()
    }

    async fn apply(&self, tx: &mut ReadTx, events: &[Decoded]) -> Result<Applied, ApplyError> {
        // Staging measured slower on PostgreSQL (see `super::write`).
        let views = match tx {
            ReadTx::Postgres(_) => ViewCounts::Uncounted,
            ReadTx::Sqlite(_) => ViewCounts::Staged,
        };
        super::write(tx, fold_with(events, views)).await
    }

    fn subjects(&self, event: &DomainEvent) -> Vec<Subject> {
        EngagementProjection.subjects(event)
    }

    /// As the projection forgets, and the subjects' staged views too (a replay would otherwise
    /// count them twice).
    async fn forget(&self, tx: &mut ReadTx, subjects: &BTreeSet<Subject>) -> Result<(), ApplyError> {
        EngagementProjection.forget(tx, subjects).await?;
        if let ReadTx::Sqlite(sqlite) = tx {
            let items = uuids(subjects, |s| if let Subject::Item(id) = s { Some(*id) } else { None });
            super::sqlite::forget_staged_views(sqlite, &items).await?;
        }
        Ok(())
    }
}
