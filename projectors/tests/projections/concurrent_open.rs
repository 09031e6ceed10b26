//! Two processes opening a new SQLite read store at once (`folio serve` starting while
//! `folio projections status` runs) both end with a migrated store: neither fails on the
//! tables the other has just created.

use projectors::ReadStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_read_store_opened_twice_at_once_opens_both_times() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read.sqlite");
        let (first, second) = tokio::join!(ReadStore::open_sqlite(&path), ReadStore::open_sqlite(&path));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert!(first.checkpoints().await.unwrap().is_empty());
        assert!(second.checkpoints().await.unwrap().is_empty());
        first.close().await;
        second.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_event_store_opened_twice_at_once_opens_both_times() {
    use infra::event_store::sqlite::SqliteEventStore;
    use infra::EventStore;
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.sqlite");
        let config = crate::fixture::store_config();
        let (first, second) =
            tokio::join!(SqliteEventStore::open(&path, config), SqliteEventStore::open(&path, config));
        assert_eq!(first.unwrap().head().await.unwrap(), 0);
        assert_eq!(second.unwrap().head().await.unwrap(), 0);
    }
}
