//! Change notices: what one committed projector batch changed. Projectors send them (see the
//! `projectors` crate for the transports); the query API's cache and read-your-writes waits
//! consume them. The type lives here because both sides speak it and neither depends on the other.

use events::Position;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Most ids a notice lists; a batch that changed more says `everything` instead (a catch-up
/// batch would otherwise send megabytes that every cache would scan).
pub const MAX_LISTED: usize = 1000;

/// One committed batch of one projection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeNotice {
    pub projection: String,
    /// Too much changed to list: treat everything this projection feeds as changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub everything: bool,
    /// The projection's checkpoint after the commit: everything up to here is visible.
    pub position: Position,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub types: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub items: BTreeSet<Uuid>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub counters: BTreeSet<Uuid>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub users: BTreeSet<String>,
}

impl ChangeNotice {
    /// A notice listing what changed, or saying `everything` when that is more than
    /// [`MAX_LISTED`] ids.
    pub fn listing(
        projection: &str,
        position: Position,
        types: BTreeSet<String>,
        items: BTreeSet<Uuid>,
        counters: BTreeSet<Uuid>,
        users: BTreeSet<String>,
    ) -> Self {
        let listed = types.len() + items.len() + counters.len() + users.len();
        if listed > MAX_LISTED {
            return Self { projection: projection.to_owned(), everything: true, position, ..Self::default() };
        }
        Self { projection: projection.to_owned(), everything: false, position, types, items, counters, users }
    }
}
