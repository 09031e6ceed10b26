//! View writes over HTTP: the real `folio serve` (a release build, as a child process) takes
//! `POST /v1/content/article/{id}/views` from N concurrent connections; each answer is an
//! acknowledged, durable event. In the same run, the HTTP stack alone: `GET /healthz` with the
//! same connections.
//!
//! `perf/http.sh` runs it as committed; `--help` for the knobs.

use clap::Parser;
use perf::cpu::Snapshot;
use perf::folio::{create_key, Server, Store};
use perf::http1::Client;
use perf::load::load;
use perf::measure::Figures;
use perf::query::run::Cpu;
use perf::Error;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
struct Args {
    /// The folio binary to run.
    #[arg(long)]
    folio: PathBuf,
    /// embedded (`folio serve` on SQLite), postgres (`folio serve` on PostgreSQL: every role in
    /// one process, so the projectors share the cores with the writes) and/or cluster (`folio
    /// command-api` on PostgreSQL: the write role alone, its projectors elsewhere).
    #[arg(long, value_delimiter = ',', default_value = "embedded,postgres,cluster")]
    profiles: Vec<String>,
    #[arg(long, default_value_t = 100)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Published articles the views spread over.
    #[arg(long, default_value_t = 1000)]
    articles: usize,
    #[arg(long, env = "FOLIO_BENCH_PG_URL", default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
    pg_url: String,
    /// Which writes to measure besides the ceiling: views, creates and/or revisions.
    #[arg(long, value_delimiter = ',', default_value = "views,creates,revisions")]
    workloads: Vec<String>,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// The processes whose CPU a view costs: the server, the database and this load generator.
const OWN_PROCESSES: [&str; 3] = ["folio", "postgres", "http-bench"];

fn store_args(profile: &str, data_dir: &std::path::Path, pg: Option<&str>) -> Vec<String> {
    match (profile, pg) {
        ("postgres" | "cluster", Some(url)) => {
            let mut args = Store::Postgres(url.into()).args();
            args.extend(["--database-pool-size".into(), "16".into()]);
            args
        }
        _ => Store::Embedded(data_dir.into()).args(),
    }
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Value,
) -> Result<Value, Error> {
    let response = client.request(method, url).bearer_auth(key).json(&body).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        return Err(format!("{status}: {body}").into());
    }
    Ok(body)
}

/// A type, `articles` published articles, a site key and an editor key; returns the article
/// paths and both keys.
async fn prepare(url: &str, admin: &str, articles: usize) -> Result<(Vec<String>, String, String), Error> {
    let client = reqwest::Client::new();
    let definition = json!({"fields": [{"name": "title", "kind": "string", "required": true}], "slug_from": "title"});
    call(&client, reqwest::Method::PUT, format!("{url}/v1/types/article"), admin, definition).await?;
    let editor =
        call(&client, reqwest::Method::POST, format!("{url}/v1/keys"), admin, json!({"role": "editor"})).await?;
    let editor = editor["key"].as_str().ok_or("no editor key")?.to_owned();
    let site = call(&client, reqwest::Method::POST, format!("{url}/v1/keys"), admin, json!({"role": "site"})).await?;
    let mut paths = Vec::with_capacity(articles);
    for n in 0..articles {
        let created = call(
            &client,
            reqwest::Method::POST,
            format!("{url}/v1/content/article"),
            &editor,
            json!({"fields": {"title": format!("Article {n}")}}),
        )
        .await?;
        let path = format!("/v1/content/article/{}", created["id"].as_str().ok_or("no id")?);
        call(&client, reqwest::Method::POST, format!("{url}{path}/publish"), &editor, json!({})).await?;
        paths.push(path);
    }
    Ok((paths, site["key"].as_str().ok_or("no site key")?.to_owned(), editor))
}

/// What one profile measured (a workload left out measured nothing: zero operations).
struct Measured {
    views: Figures,
    /// CPU seconds per process over the views' measured window.
    views_cpu: Cpu,
    creates: Figures,
    revisions: Figures,
    ceiling: Figures,
}

fn nothing() -> Figures {
    Figures { operations: 0, elapsed: std::time::Duration::ZERO, latency: perf::measure::histogram(), errors: 0 }
}

async fn run_profile(profile: &str, args: &Args) -> Result<Measured, Error> {
    let dir = tempfile::tempdir()?;
    let database = match profile {
        "postgres" | "cluster" => Some(perf::pg::Database::create(&args.pg_url).await?),
        _ => None,
    };
    let store = store_args(profile, &dir.path().join("data"), database.as_ref().map(|d| d.url.as_str()));
    let admin = create_key(&args.folio, "admin", &store)?;
    let role = if profile == "cluster" { "command-api" } else { "serve" };
    let server = Server::start_role(&args.folio, role, &store, &[])?;
    let (paths, site, editor) = prepare(&server.url, &admin, args.articles).await?;
    let client = Arc::new(Client::new(&server.url, Some(std::time::Duration::from_secs(30)))?);

    let paths = Arc::new(paths);
    let view_paths = paths.clone();
    let (views_client, views_site) = (client.clone(), site.clone());
    let measures = |workload: &str| args.workloads.iter().any(|w| w == workload);
    let db_name = database.as_ref().map(|d| d.name.clone()).unwrap_or_default();
    let (warmup, db) = (std::time::Duration::from_secs(args.warmup), db_name.clone());
    // CPU is read when the measured window opens (the warm-up has passed) and after it.
    let opened = tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        (Snapshot::take(&OWN_PROCESSES, &db), std::time::Instant::now())
    });
    let views = if measures("views") {
        load(args.connections, args.warmup, args.seconds, move |n| {
            let path = format!("{}/views", view_paths[(n as usize * 7919) % view_paths.len()]);
            let body = format!(r#"{{"user":"{}"}}"#, n % 100_000);
            let request = views_client.request("POST", &path, Some(&views_site), Some(body.as_bytes()));
            let client = views_client.clone();
            async move { client.send(&request).await.is_ok_and(|answer| (200..300).contains(&answer.status)) }
        })
        .await
    } else {
        nothing()
    };
    let (before, began) = opened.await?;
    let views_cpu = Cpu::between(&before, &Snapshot::take(&OWN_PROCESSES, &db_name), began.elapsed(), views.operations);

    // Content writes: creates of new articles (each claims its slug), then revisions of the
    // published ones (each needs the version it read, for If-Match).
    let (create_client, create_key) = (client.clone(), editor.clone());
    let creates = if !measures("creates") {
        nothing()
    } else {
        load(args.connections, 1, args.seconds, move |n| {
            let body = json!({"fields": {"title": format!("Bench article {n}")}}).to_string();
            let request =
                create_client.request("POST", "/v1/content/article", Some(&create_key), Some(body.as_bytes()));
            let client = create_client.clone();
            async move { client.send(&request).await.is_ok_and(|answer| answer.status == 201) }
        })
        .await
    };
    let (revise_client, revise_key, revise_paths) = (client.clone(), editor.clone(), paths.clone());
    let connections = args.connections;
    let revisions = if !measures("revisions") {
        nothing()
    } else {
        load(args.connections, 1, args.seconds, move |n| {
            // Connection c revises articles c, c + connections, c + 2 connections, ... (`load` numbers
            // connection c's requests from c * 1_000_003), so no two connections touch one article
            // when the article count is a multiple of the connections.
            let (c, k) = (n as usize / 1_000_003, n as usize % 1_000_003);
            let path = revise_paths[(c + connections * k) % revise_paths.len()].clone();
            let (client, key) = (revise_client.clone(), revise_key.clone());
            async move { revise(&client, &path, &key, n).await }
        })
        .await
    };

    let health: Arc<[u8]> = client.request("GET", "/healthz", None, None).into();
    let ceiling = load(args.connections, 1, args.seconds, move |_| {
        let (client, request) = (client.clone(), health.clone());
        async move { client.send(&request).await.is_ok_and(|answer| (200..300).contains(&answer.status)) }
    })
    .await;
    drop(server);
    if let Some(database) = database {
        database.drop().await?;
    }
    Ok(Measured { views, views_cpu, creates, revisions, ceiling })
}

/// One revision as an editor's tool does it: learn the item's version (a no-op publish answers it
/// without appending; the query API will serve it later), then PATCH with If-Match. The figure
/// times both requests together.
async fn revise(client: &Client, path: &str, key: &str, n: u64) -> bool {
    let publish = client.request("POST", &format!("{path}/publish"), Some(key), None);
    let Ok(current) = client.send(&publish).await else { return false };
    let Ok(body) = serde_json::from_slice::<Value>(&current.body) else { return false };
    let Some(version) = body["version"].as_u64() else { return false };
    let patch = json!({"fields": {"title": format!("Revised {n}")}}).to_string();
    let if_match = format!("\"{version}\"");
    let request = client.request_with("PATCH", path, Some(key), &[("If-Match", &if_match)], Some(patch.as_bytes()));
    client.send(&request).await.is_ok_and(|answer| (200..300).contains(&answer.status))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let mut rows = Vec::new();
    for profile in &args.profiles {
        let measured = run_profile(profile, &args).await?;
        let _ = writeln!(
            std::io::stderr(),
            "{profile}: {:.0} views/s (CPU per view, us: folio {:.0}, postgres {:.0}, http-bench {:.0}), {:.0} creates/s, {:.0} revisions/s (HTTP ceiling {:.0}/s)",
            measured.views.per_second(),
            measured.views_cpu.per_request_us("folio"),
            measured.views_cpu.per_request_us("postgres"),
            measured.views_cpu.per_request_us("http-bench"),
            measured.creates.per_second(),
            measured.revisions.per_second(),
            measured.ceiling.per_second()
        );
        rows.push((profile.clone(), measured));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "| profile | workload | connections | writes/s | p50 ms | p95 ms | p99 ms | max ms | errors | HTTP ceiling (GET /healthz)/s | ceiling p50 / p99 ms | Folio ÷ ceiling |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for (profile, m) in &rows {
        for (workload, f) in [("view", &m.views), ("content create", &m.creates), ("content revision", &m.revisions)] {
            let c = &m.ceiling;
            writeln!(
                out,
                "| {profile} | {workload} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {:.0} | {:.2} / {:.2} | {:.2} |",
                args.connections,
                f.per_second(),
                f.p50_ms(),
                f.p95_ms(),
                f.p99_ms(),
                f.max_ms(),
                f.errors,
                c.per_second(),
                c.p50_ms(),
                c.p99_ms(),
                f.per_second() / c.per_second().max(f64::EPSILON)
            )?;
        }
    }
    if let Some(path) = &args.json_out {
        let runs: Vec<Value> = rows
            .iter()
            .map(|(p, m)| {
                json!({"profile": p, "connections": args.connections, "views": m.views.to_json(), "views_cpu": m.views_cpu.to_json(),
                       "content_creates": m.creates.to_json(), "content_revisions": m.revisions.to_json(),
                       "http_ceiling": m.ceiling.to_json()})
            })
            .collect();
        std::fs::write(
            path,
            serde_json::to_string_pretty(&json!({"seconds": args.seconds, "articles": args.articles, "runs": runs}))?,
        )?;
    }
    Ok(())
}
