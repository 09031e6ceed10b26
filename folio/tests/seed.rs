//! `folio seed` end to end on both profiles: a tiny bench dataset lands with the right number of
//! events of each type, and seeding again appends nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use clap::Parser;
use folio::cli::{Cli, Command, SeedArgs};
use folio::seed::bench::BenchParams;
use infra::testing::TestDatabase;
use std::collections::BTreeMap;

const PARAMS: BenchParams = BenchParams { articles: 200, views: 2_000 };

fn seed_args(store: &[&str]) -> SeedArgs {
    let mut argv =
        vec!["folio", "seed", "--dataset", "bench", "--articles", "200", "--views", "2000", "--batch", "1000"];
    argv.extend_from_slice(store);
    let Command::Seed(args) = Cli::try_parse_from(argv).unwrap().command else { panic!("not a seed") };
    args
}

/// `bulk`: whether the backend takes a seed into an empty store in one transaction.
async fn seeds_once(args: SeedArgs, bulk: bool) {
    let expected: BTreeMap<String, u64> = PARAMS.counts().into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    let first = folio::seed::run::run(args.clone()).await.unwrap();
    assert_eq!(first.by_type, expected);
    assert_eq!((first.imported, first.skipped), (PARAMS.total(), 0));
    assert_eq!(first.in_one_transaction, bulk, "{first:?}");

    let store = folio::store::open(&args.store).await.unwrap();
    let mut stored: BTreeMap<String, u64> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.read_all(after, 5_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        for event in &page {
            *stored.entry(event.event_type.clone()).or_default() += 1;
        }
    }
    assert_eq!(stored, expected, "the store holds the dataset's events");
    assert_eq!(store.head().await.unwrap(), PARAMS.total());

    let again = folio::seed::run::run(args).await.unwrap();
    assert_eq!((again.imported, again.skipped), (0, PARAMS.total()), "seeding again appends nothing");
    assert!(!again.in_one_transaction, "a store that is not empty is seeded chunk by chunk");
    assert_eq!(store.head().await.unwrap(), PARAMS.total());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_sqlite_twice_writes_the_dataset_once() {
    let dir = tempfile::tempdir().unwrap();
    seeds_once(seed_args(&["--data-dir", dir.path().to_str().unwrap()]), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_postgres_twice_writes_the_dataset_once() {
    let database = TestDatabase::create().await;
    seeds_once(seed_args(&["--database-url", &database.url]), true).await;
    database.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_and_reseeds() {
    let dir = tempfile::tempdir().unwrap();
    let argv = ["folio", "seed", "--dataset", "demo", "--data-dir", dir.path().to_str().unwrap()];
    let Command::Seed(args) = Cli::try_parse_from(argv).unwrap().command else { panic!("not a seed") };
    let first = folio::seed::run::run(args.clone()).await.unwrap();
    assert!(first.imported > 200 && first.skipped == 0, "{first:?}");
    let again = folio::seed::run::run(args).await.unwrap();
    assert_eq!((again.imported, again.skipped), (0, first.imported));
}
