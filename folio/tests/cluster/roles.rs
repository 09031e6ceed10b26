//! Every cluster role as its own process — `folio command-api`, `folio relay`, `folio projector`,
//! `folio query-api` — each answering `/healthz`, `/readyz` and `/metrics`: a write through the
//! command API is read back from the query API, the background roles report real lag, and
//! readiness follows the bus.

use crate::faults::Cluster;
use crate::processes::{free_port, wait_for_port};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

struct Endpoint {
    client: reqwest::Client,
    base: String,
}

impl Endpoint {
    fn on(port: u16) -> Self {
        wait_for_port(port);
        Self { client: reqwest::Client::new(), base: format!("http://127.0.0.1:{port}") }
    }

    async fn send(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn status(&self, path: &str) -> (u16, String) {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Polls `path` until it answers `status` (the roles run on their own clocks).
    async fn until(&self, path: &str, status: u16) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (got, body) = self.status(path).await;
            if got == status {
                return body;
            }
            assert!(Instant::now() < deadline, "{}{path} kept answering {got}: {body}", self.base);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn key(role: &str, database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["keys", "create", "--role", role, "--database-url", database_url])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout.lines().last().unwrap().split_whitespace().last().unwrap().to_owned()
}

/// The value of an unlabelled-or-labelled sample line, e.g. `folio_projection_lag_events{projection="content"}`.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find(|line| line.starts_with(name)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_runs_as_its_own_process_and_answers_health_readiness_and_metrics() {
    let mut cluster = Cluster::start().await;
    let (admin, editor) = (key("admin", &cluster.database.url), key("editor", &cluster.database.url));
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let [commands_port, relay_port, projector_port, reads_port] = ports[..] else { unreachable!() };
    let mut commands = cluster.role(&["command-api", "--port", &commands_port.to_string()]);
    let mut relay = cluster.role(&["relay", "--port", &relay_port.to_string()]);
    let mut projector = cluster.role(&["projector", "--port", &projector_port.to_string()]);
    let mut reads = cluster.role(&["query-api", "--port", &reads_port.to_string()]);
    let (commands_http, relay_http, projector_http, reads_http) =
        (Endpoint::on(commands_port), Endpoint::on(relay_port), Endpoint::on(projector_port), Endpoint::on(reads_port));

    let post = reqwest::Method::POST;
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true, "sortable": true}], "slug_from": "title"});
    let (status, body) = commands_http.send(reqwest::Method::PUT, "/v1/types/article", &admin, Some(definition)).await;
    assert_eq!(status, 201, "{body}");
    let (status, created) = commands_http
        .send(post.clone(), "/v1/content/article", &editor, Some(json!({"fields": {"title": "Hello"}})))
        .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/v1/content/article/{}/publish", created["id"].as_str().unwrap());
    let (status, published) = commands_http.send(post, &path, &editor, None).await;
    assert_eq!(status, 200, "{published}");
    let position = published["position"].as_u64().unwrap();

    // Read-your-writes across processes: command-api -> store -> relay -> NATS -> projector -> query-api.
    let response = reads_http
        .client
        .get(format!("{}/v1/content/article", reads_http.base))
        .header("Folio-Min-Position", position.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let list: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"][0]["title"], "Hello", "{list}");

    for endpoint in [&commands_http, &relay_http, &projector_http, &reads_http] {
        assert_eq!(endpoint.status("/healthz").await.0, 200, "{}", endpoint.base);
        let ready = endpoint.until("/readyz", 200).await;
        assert!(ready.contains("\"ready\""), "{}: {ready}", endpoint.base);
        let (status, metrics) = endpoint.status("/metrics").await;
        assert_eq!(status, 200, "{}", endpoint.base);
        assert!(metrics.contains("folio_http_request_duration_seconds"), "{}: {metrics}", endpoint.base);
    }
    let (_, metrics) = commands_http.status("/metrics").await;
    assert!(sample(&metrics, "folio_appended_events_total").unwrap() >= 3.0, "{metrics}");
    for endpoint in [&relay_http, &projector_http] {
        let (_, metrics) = endpoint.status("/metrics").await;
        assert_eq!(sample(&metrics, "folio_event_store_head"), Some(position as f64), "{metrics}");
        let lag = sample(&metrics, "folio_projection_lag_events{projection=\"content\"}");
        assert_eq!(lag, Some(0.0), "caught up: {metrics}");
    }

    // Without the bus the background roles and the query API are not ready; the command API
    // (store only) still is. They recover when NATS is back.
    cluster.nats.kill();
    for endpoint in [&relay_http, &projector_http, &reads_http] {
        let unready = endpoint.until("/readyz", 503).await;
        assert!(unready.contains("bus"), "{}: {unready}", endpoint.base);
    }
    assert_eq!(commands_http.status("/readyz").await.0, 200);
    cluster.nats.restart();
    for endpoint in [&relay_http, &projector_http, &reads_http] {
        endpoint.until("/readyz", 200).await;
    }

    for role in [&mut reads, &mut projector, &mut relay, &mut commands] {
        role.terminate();
    }
    cluster.cleanup().await;
}
