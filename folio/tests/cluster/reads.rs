//! `folio query-api` as its own process over the cluster's read models: it answers from what
//! the projector built, and its cache follows the change notices that arrive over NATS.

use crate::faults::Cluster;
use crate::processes::{free_port, wait_for_port};
use crate::writer;
use serde_json::Value;
use std::time::Duration;

async fn get(client: &reqwest::Client, url: &str, min_position: Option<u64>) -> (u16, String, Value) {
    let mut request = client.get(url);
    if let Some(position) = min_position {
        request = request.header("Folio-Min-Position", position.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response.headers().get("folio-cache").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, cache, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_api_role_serves_the_read_models_and_follows_nats_notices() {
    let cluster = Cluster::start().await;
    writer::define_article(cluster.store.as_ref()).await;
    let mut relay = cluster.role(&["relay"]);
    let mut projector = cluster.role(&["projector"]);
    let port = free_port();
    let mut reads = cluster.role(&["query-api", "--port", &port.to_string()]);
    wait_for_port(port);
    let client = reqwest::Client::new();
    let list = format!("http://127.0.0.1:{port}/v1/content/article?sort=-title&limit=3");

    writer::write(cluster.store.clone(), 0, 5, Duration::ZERO).await;
    let head = cluster.store.head().await.unwrap();
    let (status, _, first) = get(&client, &list, Some(head)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"][0]["title"], "A4");
    // The first read may have bypassed the cache (the database had the position before its
    // notices arrived); once they are in, repeats come from the cache.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, cache, again) = get(&client, &list, None).await;
        assert_eq!(again, first, "the same page");
        if cache == "hit" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never served from the cache");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A new article: its notice reaches the query API over NATS, and the cached page is dropped.
    writer::write(cluster.store.clone(), 5, 1, Duration::ZERO).await;
    let head = cluster.store.head().await.unwrap();
    let (status, _, fresh) = get(&client, &list, Some(head)).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["data"][0]["title"], "A5", "never the stale page once the notice arrived");
    assert_eq!(fresh["data"][0]["views"], 3, "counters from the engagement projection");
    // Without the header the cache alone decides: only a notice over NATS can drop the old page.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, plain) = get(&client, &list, None).await;
        if plain["data"][0]["title"] == "A5" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the cached page was never dropped: {plain}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.wait_until_caught_up().await;

    let ready: Value =
        client.get(format!("http://127.0.0.1:{port}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["bus"]["nats"], "connected", "{ready}");
    assert!(ready["read_models"]["positions"]["content"].is_u64(), "{ready}");
    reads.terminate();
    projector.terminate();
    relay.terminate();
    cluster.cleanup().await;
}
