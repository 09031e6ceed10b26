//! What the hot paths need to know about keys and items, kept in memory and kept true by the
//! event log: a verified key's role and secret hash, and an item's type and status.
//!
//! Rules:
//! - Entries are filled on a miss from a stream read, tagged with the log's head read just before
//!   it (`read_at`): the stream read reflects every event at or below that position.
//! - Every event that changes a key or an item's status invalidates it: the entry goes, and the
//!   event's position is remembered. A fill older than the last invalidation of its id is refused,
//!   so a read that raced an invalidation never brings stale state back.
//! - Invalidations come from a tail of the event log's relevant types (any process's writes), and immediately from
//!   this process's own handlers after their appends (a revoked key fails on the very next request).
//! - The tail starts from the head it reads (the floor); fills read before the floor are refused,
//!   since events between them and the floor were never seen. If the tail fails, everything is
//!   dropped and it restarts from a new floor: the cache is only ever an optimisation.

use crate::content::Status;
use events::payloads::{ContentId, Role};
use events::{DomainEvent, Position, TypeName};
use infra::EventStore;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    pub role: Role,
    pub secret_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedItem {
    pub content_type: TypeName,
    pub status: Status,
}

#[derive(Debug)]
struct Entries<K, V> {
    values: HashMap<K, V>,
    invalidated_at: HashMap<K, Position>,
}

impl<K: Hash + Eq + Clone, V: Clone> Entries<K, V> {
    fn new() -> Self {
        Self { values: HashMap::new(), invalidated_at: HashMap::new() }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.values.get(key).cloned()
    }

    fn fill(&mut self, key: K, value: V, read_at: Position) {
        if self.invalidated_at.get(&key).is_none_or(|at| *at <= read_at) {
            self.values.insert(key, value);
        }
    }

    fn invalidate(&mut self, key: K, at: Position) {
        self.values.remove(&key);
        let last = self.invalidated_at.entry(key).or_insert(at);
        *last = (*last).max(at);
    }

    fn clear(&mut self) {
        self.values.clear();
    }
}

/// The cache. Cheap to share (`Arc`); every method takes a short lock.
#[derive(Debug)]
pub struct Live {
    keys: RwLock<Entries<Uuid, CachedKey>>,
    items: RwLock<Entries<ContentId, CachedItem>>,
    /// Fills read before this position are refused. `u64::MAX` until a tail follows the log, so
    /// that without a tail nothing is ever cached.
    floor: AtomicU64,
}

impl Default for Live {
    fn default() -> Self {
        Self { keys: RwLock::new(Entries::new()), items: RwLock::new(Entries::new()), floor: AtomicU64::new(u64::MAX) }
    }
}

impl Live {
    pub fn key(&self, id: Uuid) -> Option<CachedKey> {
        self.keys.read().ok().and_then(|k| k.get(&id))
    }

    fn fresh_enough(&self, read_at: Position) -> bool {
        read_at >= self.floor.load(Ordering::Acquire)
    }

    pub fn fill_key(&self, id: Uuid, key: CachedKey, read_at: Position) {
        if !self.fresh_enough(read_at) {
            return;
        }
        if let Ok(mut keys) = self.keys.write() {
            keys.fill(id, key, read_at);
        }
    }

    pub fn invalidate_key(&self, id: Uuid, at: Position) {
        if let Ok(mut keys) = self.keys.write() {
            keys.invalidate(id, at);
        }
    }

    pub fn item(&self, id: ContentId) -> Option<CachedItem> {
        self.items.read().ok().and_then(|i| i.get(&id))
    }

    pub fn fill_item(&self, id: ContentId, item: CachedItem, read_at: Position) {
        if !self.fresh_enough(read_at) {
            return;
        }
        if let Ok(mut items) = self.items.write() {
            items.fill(id, item, read_at);
        }
    }

    pub fn invalidate_item(&self, id: ContentId, at: Position) {
        if let Ok(mut items) = self.items.write() {
            items.invalidate(id, at);
        }
    }

    fn clear(&self) {
        if let Ok(mut keys) = self.keys.write() {
            keys.clear();
        }
        if let Ok(mut items) = self.items.write() {
            items.clear();
        }
    }

    /// Applies one logged event's invalidation, if it has one.
    pub fn observe(&self, event: &DomainEvent, position: Position) {
        match event {
            DomainEvent::ApiKeyIssued(e) => self.invalidate_key(e.key_id, position),
            DomainEvent::ApiKeyRevoked(e) => self.invalidate_key(e.key_id, position),
            DomainEvent::ContentPublished(e) => self.invalidate_item(e.content_id, position),
            DomainEvent::ContentScheduled(e) => self.invalidate_item(e.content_id, position),
            DomainEvent::ContentUnpublished(e) | DomainEvent::ContentArchived(e) => {
                self.invalidate_item(e.content_id, position)
            }
            DomainEvent::ContentTypeDefined(_)
            | DomainEvent::ContentTypeRevised(_)
            | DomainEvent::ContentCreated(_)
            | DomainEvent::ContentRevised(_)
            | DomainEvent::SlugClaimed(_)
            | DomainEvent::SlugReleased(_)
            | DomainEvent::CommentPosted(_)
            | DomainEvent::CommentEdited(_)
            | DomainEvent::CommentRemoved(_)
            | DomainEvent::ContentViewed(_)
            | DomainEvent::ContentLiked(_)
            | DomainEvent::ContentUnliked(_)
            | DomainEvent::ContentShared(_)
            | DomainEvent::ContentBookmarked(_)
            | DomainEvent::ContentUnbookmarked(_)
            | DomainEvent::IdempotentRequestRecorded(_) => {}
        }
    }

    /// Tails the log from its head and applies every invalidation, until the task is dropped.
    pub async fn follow(self: Arc<Self>, store: Arc<dyn EventStore>) {
        use futures_util::StreamExt;
        const RELEVANT: &[&str] = &[
            "ApiKeyIssued",
            "ApiKeyRevoked",
            "ContentPublished",
            "ContentScheduled",
            "ContentUnpublished",
            "ContentArchived",
        ];
        loop {
            let head = match store.head().await {
                Ok(head) => head,
                Err(error) => {
                    tracing::warn!(error = %error, "cache tail cannot read the head; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            // Nothing read before this head can be trusted: events up to it were not followed.
            self.floor.store(head, Ordering::Release);
            self.clear();
            // Only the relevant types are read: views and likes, most of the log, stay in the store.
            let mut events = store.subscribe_types(head, RELEVANT.iter().map(|t| (*t).to_owned()).collect());
            while let Some(next) = events.next().await {
                let Ok(recorded) = next else { break };
                match DomainEvent::from_recorded(&recorded) {
                    Ok(event) => self.observe(&event, recorded.position),
                    Err(_) => break,
                }
            }
            tracing::warn!("cache tail ended; dropping the cache and following again");
            self.floor.store(u64::MAX, Ordering::Release);
            self.clear();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: Status) -> CachedItem {
        CachedItem { content_type: TypeName::parse("article").unwrap(), status }
    }

    #[test]
    fn without_a_tail_nothing_is_cached() {
        let live = Live::default();
        live.fill_item(ContentId(Uuid::from_u128(1)), item(Status::Published), 10);
        assert_eq!(live.item(ContentId(Uuid::from_u128(1))), None);
    }

    #[test]
    fn a_fill_older_than_the_last_invalidation_or_the_floor_is_refused() {
        let live = Live::default();
        live.floor.store(5, Ordering::Release);
        live.fill_item(ContentId(Uuid::from_u128(2)), item(Status::Published), 4);
        assert_eq!(live.item(ContentId(Uuid::from_u128(2))), None, "read before the tail started");
        let id = ContentId(Uuid::from_u128(1));
        live.fill_item(id, item(Status::Published), 10);
        assert_eq!(live.item(id), Some(item(Status::Published)));
        live.invalidate_item(id, 12);
        assert_eq!(live.item(id), None);
        live.fill_item(id, item(Status::Published), 11);
        assert_eq!(live.item(id), None, "read before the unpublish at 12: stale, refused");
        live.fill_item(id, item(Status::Draft), 12);
        assert_eq!(live.item(id), Some(item(Status::Draft)), "read that includes it: fresh");
        live.invalidate_item(id, 11);
        live.fill_item(id, item(Status::Draft), 12);
        assert_eq!(live.item(id), Some(item(Status::Draft)), "an older invalidation does not lower the bar");
    }
}
