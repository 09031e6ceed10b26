//! Test shorthands over `projectors::inspect` (which fails with errors, not panics).

use projectors::ReadStore;
use serde_json::Value;
use uuid::Uuid;

/// Every read model, after checking that no reference row's copy of its item's card lags.
pub async fn dump(read: &ReadStore) -> Value {
    assert_eq!(projectors::inspect::stale_ref_cards(read).await.unwrap(), 0, "content_refs rows with a stale card");
    projectors::inspect::dump(read).await.unwrap()
}

macro_rules! table {
    ($($name:ident),*) => {$(
        pub async fn $name(read: &ReadStore) -> Value {
            projectors::inspect::$name(read).await.unwrap()
        }
    )*};
}

table!(items, values, comments, counters, user_items, api_keys);

pub async fn history(read: &ReadStore, user: &str) -> Vec<Uuid> {
    projectors::inspect::history(read, user).await.unwrap()
}

pub async fn referencing(read: &ReadStore, field: &str, target: Uuid) -> Vec<Uuid> {
    projectors::inspect::referencing(read, field, target).await.unwrap()
}

pub async fn search(read: &ReadStore, words: &str) -> Vec<Uuid> {
    projectors::inspect::search(read, words).await.unwrap()
}

/// Fails with the first differing table row (whole dumps are too long to read in a failure).
pub fn assert_same(left: &Value, right: &Value, what: &str) {
    for (table, rows) in left.as_object().unwrap() {
        let (l, r) = (rows.as_array().unwrap(), right[table].as_array().unwrap());
        for (i, (a, b)) in l.iter().zip(r).enumerate() {
            assert_eq!(a, b, "{what}: table {table}, row {i} differs");
        }
        assert_eq!(l.len(), r.len(), "{what}: table {table} has {} rows vs {}", l.len(), r.len());
    }
}
