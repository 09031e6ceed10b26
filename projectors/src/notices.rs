//! Change notices: after each commit a projector announces what changed, so the query API's
//! cache can drop exactly the entries that are stale. In-process (embedded) they travel on a
//! broadcast channel; in the cluster profile on the core NATS subject `folio.changes.<projection>`.

use crate::projection::Applied;
use events::Position;
pub use infra::notices::{ChangeNotice, MAX_LISTED};
use tokio::sync::broadcast;

/// The notice of one committed batch of `projection`.
pub fn notice_of(projection: &str, position: Position, applied: Applied) -> ChangeNotice {
    ChangeNotice::listing(projection, position, applied.types, applied.items, applied.counters, applied.users)
}

/// The NATS subject prefix of change notices; the projection's name follows.
pub const SUBJECT_PREFIX: &str = "folio.changes";

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
