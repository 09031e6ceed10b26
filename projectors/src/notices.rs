//! Change notices: after each commit a projector announces what changed, so the query API's
//! cache can drop exactly the entries that are stale. In-process (embedded) they travel on a
//! broadcast channel; in the cluster profile on the core NATS subject `folio.changes.<projection>`.

use crate::projection::Applied;
use events::Position;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The NATS subject prefix of change notices; the projection's name follows.
pub const SUBJECT_PREFIX: &str = "folio.changes";

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
    pub fn new(projection: &str, position: Position, applied: Applied) -> Self {
        let listed = applied.types.len() + applied.items.len() + applied.counters.len() + applied.users.len();
        if listed > MAX_LISTED {
            return Self { projection: projection.to_owned(), everything: true, position, ..Self::default() };
        }
        Self {
            projection: projection.to_owned(),
            everything: false,
            position,
            types: applied.types,
            items: applied.items,
            counters: applied.counters,
            users: applied.users,
        }
    }
}

/// Where notices go. Announcing never fails the projector: a notice that cannot be sent is
/// logged, and readers that missed one fall back to the checkpoint table (see the query API).
#[derive(Debug, Clone)]
pub enum Notifier {
    Local(broadcast::Sender<ChangeNotice>),
    Nats(async_nats::Client),
}

impl Notifier {
    /// An in-process notifier with room for `capacity` unread notices per receiver.
    pub fn local(capacity: usize) -> Self {
        Self::Local(broadcast::channel(capacity).0)
    }

    /// A receiver of the in-process notices (None for NATS: subscribe to the subject instead).
    pub fn subscribe(&self) -> Option<broadcast::Receiver<ChangeNotice>> {
        match self {
            Self::Local(sender) => Some(sender.subscribe()),
            Self::Nats(_) => None,
        }
    }

    pub async fn announce(&self, notice: ChangeNotice) {
        match self {
            // No receiver is not an error: nobody caches yet.
            Self::Local(sender) => drop(sender.send(notice)),
            Self::Nats(client) => {
                let subject = format!("{SUBJECT_PREFIX}.{}", notice.projection);
                match serde_json::to_vec(&notice) {
                    Ok(body) => {
                        if let Err(error) = client.publish(subject, body.into()).await {
                            tracing::warn!(%error, "change notice not sent");
                        }
                    }
                    Err(error) => tracing::warn!(%error, "change notice not encoded"),
                }
            }
        }
    }
}
