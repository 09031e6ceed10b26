//! Faults across processes: NATS restarted under the relay, JetStream unavailable while the
//! roles start, the projector killed with SIGKILL.
//! Each ends with the read models equal, row for row, to a clean rebuild from the event store.

use crate::processes::{Nats, Role};
use crate::writer;
use infra::event_store::postgres::PostgresEventStore;
use infra::testing::TestDatabase;
use infra::{EventStore, StoreConfig};
use projectors::{all_projections, ReadStore, Runner, RunnerConfig, StoreFeed};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Cluster {
    pub database: TestDatabase,
    pub store: Arc<dyn EventStore>,
    pub read: ReadStore,
    pub nats: Nats,
}

impl Cluster {
    pub async fn start() -> Self {
        let database = TestDatabase::create().await;
        let store: Arc<dyn EventStore> =
            Arc::new(PostgresEventStore::connect(&database.url, StoreConfig::default()).await.unwrap());
        let read = ReadStore::connect_postgres(&database.url, 2).await.unwrap();
        Self { database, store, read, nats: Nats::start() }
    }

    pub fn role(&self, args: &[&str]) -> Role {
        Role::start(args, &self.database.url, &self.nats.url())
    }

    /// Waits for the relay and every projection to reach the head (processes run on their own
    /// clocks, so this polls; 60 s without reaching it fails the test).
    pub async fn wait_until_caught_up(&self) {
        let head = self.store.head().await.unwrap();
        let names: Vec<&str> = std::iter::once("relay").chain(all_projections().iter().map(|p| p.name())).collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rows = self.read.checkpoints().await.unwrap();
            let done = names.iter().all(|name| rows.iter().any(|r| r.projection == *name && r.position == head));
            if done {
                return;
            }
            assert!(Instant::now() < deadline, "not caught up with {head}: {rows:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The read models built from scratch, in this process, from the event store alone.
    async fn assert_equal_to_a_clean_rebuild(&self) {
        let other = TestDatabase::create().await;
        let rebuilt = ReadStore::connect_postgres(&other.url, 2).await.unwrap();
        let head = self.store.head().await.unwrap();
        for projection in all_projections() {
            let feed = Box::new(StoreFeed::new(self.store.clone()));
            let mut runner =
                Runner::new(projection, rebuilt.clone(), feed, None, RunnerConfig::default()).await.unwrap();
            runner.run_until(head).await.unwrap();
        }
        let live = projectors::inspect::dump(&self.read).await.unwrap();
        let clean = projectors::inspect::dump(&rebuilt).await.unwrap();
        for (table, rows) in clean.as_object().unwrap() {
            assert_eq!(&live[table], rows, "table {table} differs from a clean rebuild");
        }
        rebuilt.close().await;
        other.drop_now().await;
    }

    /// Every position 1..=head is on JetStream exactly once (the relay lost nothing and
    /// de-duplication absorbed its re-publishes). Projectors would repair a gap from the store,
    /// so this is checked on NATS itself.
    async fn assert_jetstream_holds_each_event_once(&self) {
        use futures_util::StreamExt;
        let head = self.store.head().await.unwrap();
        let client = async_nats::connect(self.nats.url()).await.unwrap();
        let context = async_nats::jetstream::new(client);
        let mut stream = context.get_stream(projectors::bus::STREAM).await.unwrap();
        assert_eq!(stream.info().await.unwrap().state.messages, head, "one message per event");
        let consumer =
            stream.create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default()).await.unwrap();
        let mut messages = consumer.messages().await.unwrap().take(usize::try_from(head).unwrap());
        let mut positions = Vec::new();
        while let Some(message) = messages.next().await {
            let message = message.unwrap();
            let position = message.headers.as_ref().unwrap().get(projectors::bus::HEADER_POSITION).unwrap();
            positions.push(position.as_str().parse::<u64>().unwrap());
        }
        positions.sort_unstable();
        assert_eq!(positions, (1..=head).collect::<Vec<_>>());
    }

    pub async fn cleanup(self) {
        self.read.close().await;
        drop(self.store);
        self.database.drop_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_restarted_under_the_relay_loses_and_duplicates_nothing() {
    let mut cluster = Cluster::start().await;
    writer::define_article(cluster.store.as_ref()).await;
    let mut relay = cluster.role(&["relay", "--relay-ack-timeout-ms", "500"]);
    let mut projector = cluster.role(&["projector"]);
    let traffic = tokio::spawn(writer::write(cluster.store.clone(), 0, 300, Duration::from_millis(10)));
    tokio::time::sleep(Duration::from_millis(400)).await;
    cluster.nats.kill();
    // Longer than the relay's ack timeout: its in-flight publishes fail and are sent again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!traffic.is_finished(), "the outage must fall mid-stream");
    cluster.nats.restart();
    traffic.await.unwrap();
    writer::write(cluster.store.clone(), 300, 20, Duration::ZERO).await;
    cluster.wait_until_caught_up().await;
    cluster.assert_equal_to_a_clean_rebuild().await;
    cluster.assert_jetstream_holds_each_event_once().await;
    relay.terminate();
    projector.terminate();
    let comments = projectors::inspect::counters(&cluster.read).await.unwrap();
    assert_eq!(comments.as_array().unwrap().len(), 320, "every article has its counters, once");
    cluster.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_started_while_jetstream_is_unavailable_wait_for_it_then_catch_up() {
    let mut cluster = Cluster::start().await;
    cluster.nats.kill();
    cluster.nats.restart_without_jetstream();
    writer::define_article(cluster.store.as_ref()).await;
    let mut relay = cluster.role(&["relay", "--relay-ack-timeout-ms", "500"]);
    let mut projector = cluster.role(&["projector"]);
    writer::write(cluster.store.clone(), 0, 40, Duration::ZERO).await;
    // Every JetStream request of the roles is refused meanwhile (no responders).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(relay.is_running(), "the relay must wait for JetStream, not exit");
    assert!(projector.is_running(), "the projector must wait for JetStream, not exit");
    cluster.nats.kill();
    cluster.nats.restart();
    writer::write(cluster.store.clone(), 40, 10, Duration::ZERO).await;
    cluster.wait_until_caught_up().await;
    cluster.assert_equal_to_a_clean_rebuild().await;
    cluster.assert_jetstream_holds_each_event_once().await;
    relay.terminate();
    projector.terminate();
    cluster.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_with_sigkill_and_restarted_ends_equal_to_a_clean_rebuild() {
    let cluster = Cluster::start().await;
    writer::define_article(cluster.store.as_ref()).await;
    let listener = async_nats::connect(cluster.nats.url()).await.unwrap();
    let mut notices = listener.subscribe(format!("{}.>", projectors::notices::SUBJECT_PREFIX)).await.unwrap();
    let mut relay = cluster.role(&["relay"]);
    let mut projector = cluster.role(&["projector", "--projector-batch", "50"]);
    let traffic = tokio::spawn(writer::write(cluster.store.clone(), 0, 200, Duration::from_millis(5)));
    for pause in [300, 450, 250, 600] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        projector.kill();
        projector.restart();
    }
    traffic.await.unwrap();
    cluster.wait_until_caught_up().await;
    cluster.assert_equal_to_a_clean_rebuild().await;
    relay.terminate();
    projector.terminate();
    // Change notices went out on core NATS, one per commit, naming what changed.
    use futures_util::StreamExt;
    let notice = tokio::time::timeout(Duration::from_secs(5), notices.next()).await.unwrap().unwrap();
    let notice: projectors::ChangeNotice = serde_json::from_slice(&notice.payload).unwrap();
    assert!(notice.position > 0 && !notice.projection.is_empty(), "{notice:?}");
    cluster.cleanup().await;
}
