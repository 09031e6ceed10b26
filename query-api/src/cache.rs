//! The response cache: whole response bodies keyed by the normalised request, dropped by the
//! projections' change notices (never by age), bounded in bytes.
//!
//! Rules:
//! - Every entry names what it was built from ([`Dep`]): the content type of a list, each item
//!   on the page, the user of a history. A notice drops every entry that depends on something it
//!   lists; a notice that says `everything` drops all entries.
//! - A response read from the database before a notice but stored after it must not survive:
//!   callers take a [`Ticket`] before reading, and [`ResponseCache::insert`] refuses a body if a
//!   notice touched one of its deps after that ticket.
//! - Bounded: past `max_bytes` the least recently used entries go first.
//!
//! Hand-written rather than a caching crate because invalidation by dependency, atomically with
//! the ticket check, is the point; eviction here is the simple part.

use events::Position;
use infra::notices::ChangeNotice;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// Something a response was built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Any item of this type (lists, searches, detail by slug).
    Type(String),
    /// One item: its document, counters or comments.
    Item(Uuid),
    /// One user's history and state.
    User(String),
}

/// A cached response body and its validator.
#[derive(Debug)]
pub struct Cached {
    pub body: actix_web::web::Bytes,
    pub etag: String,
}

/// When a read began, in notice order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

#[derive(Debug)]
struct Entry {
    cached: Arc<Cached>,
    deps: Vec<Dep>,
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    by_dep: HashMap<Dep, HashSet<String>>,
    /// The epoch at which a notice last touched each dep.
    touched: HashMap<Dep, u64>,
    /// Tickets older than this are refused whatever they depend on (after `everything`, or
    /// when `touched` was reset to stay small).
    floor: u64,
    bytes: usize,
    clock: u64,
    /// What the notices applied so far say each projection has committed.
    seen: BTreeMap<String, Position>,
}

const MAX_TOUCHED: usize = 200_000;

#[derive(Debug)]
pub struct ResponseCache {
    inner: Mutex<Inner>,
    epoch: AtomicU64,
    max_bytes: usize,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

fn weight(key: &str, cached: &Cached) -> usize {
    key.len() + cached.body.len() + cached.etag.len() + 128
}

impl ResponseCache {
    /// A cache of at most `max_bytes` of responses; 0 turns caching off (notices are still
    /// tracked, for read-your-writes).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            epoch: AtomicU64::new(0),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps (every change is one step).
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.epoch.load(Ordering::Acquire))
    }

    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let found = inner.entries.get_mut(key).map(|entry| {
            entry.used = now;
            entry.cached.clone()
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `cached` unless a notice touched one of `deps` since `ticket`.
    pub fn insert(&self, key: String, cached: Arc<Cached>, deps: Vec<Dep>, ticket: Ticket) {
        if !self.enabled() {
            return;
        }
        let size = weight(&key, &cached);
        if size > self.max_bytes / 8 {
            return;
        }
        let mut inner = self.lock();
        if ticket.0 < inner.floor || deps.iter().any(|d| inner.touched.get(d).is_some_and(|&at| at > ticket.0)) {
            return;
        }
        remove(&mut inner, &key);
        for dep in &deps {
            inner.by_dep.entry(dep.clone()).or_default().insert(key.clone());
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.bytes += size;
        inner.entries.insert(key, Entry { cached, deps, used });
        if inner.bytes > self.max_bytes {
            evict(&mut inner, self.max_bytes - self.max_bytes / 4);
        }
    }

    /// Drops what `notice` made stale, and records how far its projection got.
    pub fn apply(&self, notice: &ChangeNotice) {
        let mut inner = self.lock();
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        let seen = inner.seen.entry(notice.projection.clone()).or_default();
        *seen = (*seen).max(notice.position);
        if notice.everything {
            inner.entries.clear();
            inner.by_dep.clear();
            inner.touched.clear();
            inner.bytes = 0;
            inner.floor = epoch;
            return;
        }
        let deps = notice
            .types
            .iter()
            .map(|t| Dep::Type(t.clone()))
            .chain(notice.items.iter().chain(&notice.counters).map(|i| Dep::Item(*i)))
            .chain(notice.users.iter().map(|u| Dep::User(u.clone())));
        for dep in deps {
            if let Some(keys) = inner.by_dep.remove(&dep) {
                for key in keys {
                    remove(&mut inner, &key);
                }
            }
            inner.touched.insert(dep, epoch);
        }
        if inner.touched.len() > MAX_TOUCHED {
            inner.touched.clear();
            inner.floor = epoch;
        }
    }

    /// Drops every entry (e.g. after missing notices).
    pub fn clear(&self) {
        self.apply(&ChangeNotice { everything: true, ..ChangeNotice::default() });
    }

    /// The position each projection's applied notices reached.
    pub fn seen(&self, projection: &str) -> Position {
        self.lock().seen.get(projection).copied().unwrap_or_default()
    }

    pub fn stats(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

fn remove(inner: &mut Inner, key: &str) {
    if let Some(entry) = inner.entries.remove(key) {
        inner.bytes -= weight(key, &entry.cached);
        for dep in &entry.deps {
            if let Some(keys) = inner.by_dep.get_mut(dep) {
                keys.remove(key);
                if keys.is_empty() {
                    inner.by_dep.remove(dep);
                }
            }
        }
    }
}

/// Drops least recently used entries until at most `target` bytes remain.
fn evict(inner: &mut Inner, target: usize) {
    let mut by_age: Vec<(u64, String)> = inner.entries.iter().map(|(k, e)| (e.used, k.clone())).collect();
    by_age.sort_unstable();
    for (_, key) in by_age {
        if inner.bytes <= target {
            break;
        }
        remove(inner, &key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Arc<Cached> {
        Arc::new(Cached { body: actix_web::web::Bytes::copy_from_slice(text.as_bytes()), etag: "e".into() })
    }

    fn notice(items: &[Uuid], types: &[&str]) -> ChangeNotice {
        ChangeNotice {
            projection: "content".into(),
            position: 7,
            items: items.iter().copied().collect(),
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            ..ChangeNotice::default()
        }
    }

    #[test]
    fn a_notice_drops_exactly_the_entries_that_depend_on_what_it_lists() {
        let cache = ResponseCache::new(1 << 20);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        cache.insert("detail a".into(), body("A"), vec![Dep::Item(a)], cache.ticket());
        cache.insert("detail b".into(), body("B"), vec![Dep::Item(b)], cache.ticket());
        cache.insert("list".into(), body("L"), vec![Dep::Type("article".into()), Dep::Item(a)], cache.ticket());
        cache.apply(&notice(&[a], &[]));
        assert!(cache.get("detail a").is_none());
        assert!(cache.get("list").is_none());
        assert_eq!(&cache.get("detail b").unwrap().body[..], b"B");
        assert_eq!(cache.seen("content"), 7);
    }

    #[test]
    fn a_body_read_before_a_notice_is_not_stored_after_it() {
        let cache = ResponseCache::new(1 << 20);
        let a = Uuid::from_u128(1);
        let ticket = cache.ticket();
        cache.apply(&notice(&[a], &[]));
        cache.insert("detail a".into(), body("stale"), vec![Dep::Item(a)], ticket);
        assert!(cache.get("detail a").is_none());
        // Unrelated deps are unaffected by that notice.
        cache.insert("other".into(), body("fine"), vec![Dep::Item(Uuid::from_u128(9))], ticket);
        assert!(cache.get("other").is_some());
    }

    #[test]
    fn everything_drops_all_and_refuses_older_reads() {
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket();
        cache.insert("x".into(), body("X"), vec![Dep::User("u".into())], ticket);
        cache.apply(&ChangeNotice { projection: "engagement".into(), everything: true, ..ChangeNotice::default() });
        assert!(cache.get("x").is_none());
        cache.insert("x".into(), body("X"), vec![Dep::User("u".into())], ticket);
        assert!(cache.get("x").is_none());
    }

    #[test]
    fn stays_within_its_byte_budget_dropping_the_least_recently_used() {
        let cache = ResponseCache::new(64 * 1024);
        for i in 0..200 {
            cache.insert(format!("k{i}"), body(&"x".repeat(1000)), vec![], cache.ticket());
            cache.get("k0");
        }
        let (_, bytes) = cache.stats();
        assert!(bytes <= 64 * 1024, "{bytes}");
        assert!(cache.get("k0").is_some(), "recently used stays");
        assert!(cache.get("k1").is_none(), "least recently used went");
    }

    #[test]
    fn off_means_nothing_is_kept() {
        let cache = ResponseCache::new(0);
        cache.insert("x".into(), body("X"), vec![], cache.ticket());
        assert!(cache.get("x").is_none());
    }
}
