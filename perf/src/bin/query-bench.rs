//! The query API on the bench dataset (shared/bench/DATASET.md): the real `folio serve` (a
//! release build, as a child process) answers list, detail, history and state reads from N
//! concurrent connections, with its response cache off and on, on both profiles. In the same run:
//! `GET /healthz` (the HTTP stack alone) with the same connections, and on PostgreSQL pgbench
//! running the very SQL the query API renders for each shape (the database alone).
//!
//! The data is seeded once per profile and scale (`folio seed --dataset bench`) and kept between
//! runs (`--reseed` to start over, `--drop-after` to delete it). `perf/query.sh` runs it as
//! committed; `--help` for the knobs.

use chrono::Timelike;
use clap::{Parser, ValueEnum};
use perf::cpu::Snapshot;
use perf::folio::{create_key, Server, Store};
use perf::load::{load, Getter};
use perf::measure::Figures;
use perf::Error;
use query_api::catalog::Catalog;
use query_api::plan::{Audience, ListPlan};
use query_api::request::cursor::{Cursor, KeyValue};
use query_api::sql::lookups::{self, ItemRef};
use query_api::sql::{list, Arg, Sql};
use query_api::ReadDb;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, PgConnection, Row};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The "card" fields of DATASET.md (`id` always comes).
const CARD: &str = "title,slug,summary,published_at,views,comments,author,category,tags";
const USERS: u64 = 100_000;
const TAGS: u64 = 1_000;
const SHAPES: [&str; 6] = ["list20", "list20_cursor", "by_tag", "detail", "history", "state"];
const HEALTHZ: &str = "healthz";
/// The benchmark's own processes (as /proc/<pid>/comm names them) on PostgreSQL; on SQLite
/// PostgreSQL is someone else's.
const OWN_PROCESSES: [&str; 4] = ["folio", "postgres", "pgbench", "query-bench"];
const OWN_PROCESSES_EMBEDDED: [&str; 2] = ["folio", "query-bench"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scale {
    /// 100,000 articles, 2,000,000 views.
    Quick,
    /// 1,000,000 articles, 20,000,000 views.
    Full,
}

impl Scale {
    fn articles(self) -> u64 {
        match self {
            Self::Quick => 100_000,
            Self::Full => 1_000_000,
        }
    }

    fn views(self) -> u64 {
        match self {
            Self::Quick => 2_000_000,
            Self::Full => 20_000_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }
}

#[derive(Debug, Parser)]
struct Args {
    /// The folio binary to run.
    #[arg(long)]
    folio: PathBuf,
    #[arg(long, value_enum, default_value_t = Scale::Quick)]
    scale: Scale,
    /// postgres and/or embedded, in this order.
    #[arg(long, value_delimiter = ',', default_value = "postgres,embedded")]
    profiles: Vec<String>,
    /// Response cache sizes (MiB) to run, each on a fresh `folio serve` over the same data; 0 is off.
    #[arg(long, value_delimiter = ',', default_value = "0,64,512")]
    caches: Vec<u32>,
    /// Shapes to measure (list20, list20_cursor, by_tag, detail, history, state).
    #[arg(long, value_delimiter = ',', default_value = "list20,list20_cursor,by_tag,detail,history,state")]
    workloads: Vec<String>,
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Warm-up seconds before each measured window.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Measured seconds per workload (and per pgbench ceiling).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// `folio serve --read-pool-size`.
    #[arg(long, default_value_t = 8)]
    read_pool_size: u32,
    /// More `folio serve` arguments (repeatable), e.g. `--serve-arg=--database-pool-size=16`.
    #[arg(long = "serve-arg", allow_hyphen_values = true)]
    serve_args: Vec<String>,
    /// Users whose state for 20 viewed articles is asked (resolved at setup).
    #[arg(long, default_value_t = 500)]
    state_users: u64,
    /// PostgreSQL admin URL; the bench database is created beside it.
    #[arg(long, env = "FOLIO_BENCH_PG_URL", default_value = "postgres://folio:folio@127.0.0.1:55432/postgres")]
    pg_url: String,
    /// The bench database (default perf_query_<scale>: not folio_bench_*, the throwaway
    /// databases of the other benchmarks, which a clean-up may drop).
    #[arg(long)]
    database: Option<String>,
    /// The embedded profile's data folder (default /var/tmp/perf-query-<scale>).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seed again even when seeded data of this scale is there.
    #[arg(long)]
    reseed: bool,
    /// Delete the bench database / data folder at the end.
    #[arg(long)]
    drop_after: bool,
    /// Skip the pgbench ceilings.
    #[arg(long)]
    no_pgbench: bool,
    /// A window in which other processes (not folio, this database's PostgreSQL backends,
    /// pgbench or query-bench) used more than this many cores is measured again, after waiting
    /// for a quiet machine (the machine is shared).
    #[arg(long, default_value_t = 0.15)]
    max_others: f64,
    /// How many times a disturbed window is measured again (the quietest attempt is kept).
    #[arg(long, default_value_t = 2)]
    retries: usize,
    /// A request without an answer after this many seconds counts as an error.
    #[arg(long, default_value_t = 30)]
    request_timeout: u64,
    /// Longest wait for the read models to catch up, in seconds.
    #[arg(long, default_value_t = 4 * 3600)]
    catch_up_timeout: u64,
    /// Results go to <out>.md, <out>.json and <out>.plans.txt (default
    /// perf/results/query-<UTC stamp>-<scale>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The command line to print in the results (perf/query.sh passes its own).
    #[arg(long)]
    command: Option<String>,
}

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "[query-bench {}] {text}", chrono::Utc::now().format("%H:%M:%S"));
}

// --- the dataset's formulas ---------------------------------------------------------------------

/// Article `r`, or the published one before it (DATASET detail).
fn published_at_or_before(r: u64) -> u64 {
    if r % 10 == 0 {
        r - 1
    } else {
        r
    }
}

fn tags_of(a: u64) -> Vec<u64> {
    let mut tags = Vec::with_capacity(3);
    for t in [(a * 13) % 1000 + 1, (a * 17 + 7) % 1000 + 1, (a * 19 + 11) % 1000 + 1] {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

fn viewed_article(k: u64, articles: u64) -> u64 {
    ((k * 104_729 + k / 100_000) % articles) + 1
}

/// The `user_views` rows of user `u`, as `k`, oldest first.
fn views_of(u: u64, views: u64) -> impl DoubleEndedIterator<Item = u64> {
    (0..=views / USERS).map(move |j| (u - 1) + USERS * j).filter(move |k| (1..=views).contains(k))
}

/// The users whose state is asked: distinct, spread over 1..=100000.
fn state_user(i: u64) -> u64 {
    (i * 7919) % USERS + 1
}

// --- the stores -------------------------------------------------------------------------------

/// A profile's event store and read models, as this benchmark reads them directly (the head,
/// checkpoints, plans); the load itself goes through HTTP only.
struct Data {
    store: Store,
    events: Events,
    read: ReadDb,
}

enum Events {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Data {
    fn open(store: Store) -> Result<Self, Error> {
        let (events, read) = match &store {
            Store::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)?;
                let events = PgPoolOptions::new().max_connections(2).connect_lazy_with(options.clone());
                let read = options.options([("search_path", projectors::read_store::POSTGRES_SCHEMA)]);
                let read = PgPoolOptions::new().max_connections(2).connect_lazy_with(read);
                (Events::Postgres(events), ReadDb::Postgres(read))
            }
            Store::Embedded(dir) => {
                let open = |file: &str| {
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_lazy_with(SqliteConnectOptions::new().filename(dir.join(file)).read_only(true))
                };
                (Events::Sqlite(open("events.sqlite")), ReadDb::Sqlite(open("read.sqlite")))
            }
        };
        Ok(Self { store, events, read })
    }

    async fn head(&self) -> Result<u64, Error> {
        let head: i64 = match &self.events {
            Events::Postgres(pool) => {
                sqlx::query_scalar("SELECT position FROM public.folio_log_head").fetch_one(pool).await?
            }
            Events::Sqlite(pool) => {
                sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM folio_events").fetch_one(pool).await?
            }
        };
        Ok(u64::try_from(head).unwrap_or(0))
    }

    /// Each projection's committed position (empty while the read models do not exist yet).
    async fn checkpoints(&self) -> HashMap<String, u64> {
        let mut reached = HashMap::new();
        if let Ok(rows) = self.read.fetch(&lookups::checkpoints(self.read.dialect())).await {
            for row in rows {
                if let (Ok(name), Ok(at)) = (row.text(0), row.count(1)) {
                    reached.insert(name, u64::try_from(at).unwrap_or(0));
                }
            }
        }
        reached
    }

    async fn close(&self) {
        match &self.events {
            Events::Postgres(pool) => pool.close().await,
            Events::Sqlite(pool) => pool.close().await,
        }
        match &self.read {
            ReadDb::Postgres(pool) => pool.close().await,
            ReadDb::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Seeds `store` unless it already holds this scale's data; returns what happened.
async fn ensure_seeded(args: &Args, store: &Store) -> Result<Value, Error> {
    let scale = args.scale.name();
    match store {
        Store::Postgres(url) => {
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            let mut admin = PgConnection::connect(&args.pg_url).await?;
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await?;
            if exists && !args.reseed {
                let mut db = PgConnection::connect(url).await?;
                let seeded: Option<(String, f64)> = sqlx::query_as("SELECT scale, seconds FROM folio_bench.seeded")
                    .fetch_optional(&mut db)
                    .await
                    .ok()
                    .flatten();
                if let Some((at, seconds)) = seeded.filter(|(s, _)| s == scale) {
                    say(&format!("reusing database {name} ({at} data, seeded earlier in {seconds:.0} s)"));
                    return Ok(json!({"reused": true, "seconds": seconds}));
                }
            }
            say(&format!("creating database {name}"));
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            let (seconds, output) = seed(args, store)?;
            let mut db = PgConnection::connect(url).await?;
            sqlx::query("CREATE SCHEMA IF NOT EXISTS folio_bench").execute(&mut db).await?;
            sqlx::query("CREATE TABLE folio_bench.seeded (scale text NOT NULL, seconds float8 NOT NULL)")
                .execute(&mut db)
                .await?;
            sqlx::query("INSERT INTO folio_bench.seeded VALUES ($1, $2)")
                .bind(scale)
                .bind(seconds)
                .execute(&mut db)
                .await?;
            Ok(json!({"reused": false, "seconds": seconds, "output": output}))
        }
        Store::Embedded(dir) => {
            let marker = dir.join("seeded.json");
            if !args.reseed {
                if let Ok(text) = std::fs::read_to_string(&marker) {
                    let seeded: Value = serde_json::from_str(&text)?;
                    if seeded["scale"] == scale {
                        say(&format!(
                            "reusing {} ({scale} data, seeded earlier in {:.0} s)",
                            dir.display(),
                            seeded["seconds"]
                        ));
                        return Ok(json!({"reused": true, "seconds": seeded["seconds"]}));
                    }
                }
            }
            if dir.exists() {
                std::fs::remove_dir_all(dir)?;
            }
            std::fs::create_dir_all(dir)?;
            let (seconds, output) = seed(args, store)?;
            std::fs::write(&marker, json!({"scale": scale, "seconds": seconds}).to_string())?;
            Ok(json!({"reused": false, "seconds": seconds, "output": output}))
        }
    }
}

fn seed(args: &Args, store: &Store) -> Result<(f64, String), Error> {
    say(&format!("folio seed --dataset bench ({}) into the {} store", args.scale.name(), store.profile()));
    let started = Instant::now();
    let mut command = Command::new(&args.folio);
    command.args(["seed", "--dataset", "bench"]).args(store.args());
    if args.scale == Scale::Quick {
        command.arg("--quick");
    }
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        return Err(format!("folio seed failed: {text}\n{}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let seconds = started.elapsed().as_secs_f64();
    say(&format!("seeded in {seconds:.0} s: {}", text.lines().last().unwrap_or_default()));
    Ok((seconds, text))
}

// --- serving ----------------------------------------------------------------------------------

async fn progress(data: &Data) -> String {
    let reached = data.checkpoints().await;
    let mut line: Vec<String> = reached.iter().map(|(p, at)| format!("{p} {at}")).collect();
    line.sort();
    line.join(", ")
}

/// Waits until the read models reached `head` (black-box: the list answers under
/// `Folio-Min-Position: head`), then until every projection did, then until the site key works.
async fn wait_ready(
    client: &reqwest::Client,
    server: &mut Server,
    data: &Data,
    head: u64,
    site: &str,
    timeout: Duration,
) -> Result<f64, Error> {
    let started = Instant::now();
    let mut shown = Instant::now();
    let url = format!("{}/v1/content/article?limit=1", server.url);
    loop {
        if !server.running() {
            return Err("folio serve exited while catching up".into());
        }
        if started.elapsed() > timeout {
            return Err(format!("the read models did not reach {head} within {timeout:?}").into());
        }
        match client.get(&url).header("Folio-Min-Position", head.to_string()).send().await {
            Ok(response) if response.status().as_u16() == 200 => break,
            Ok(response) if response.status().as_u16() == 503 => {}
            Ok(response) => {
                // Until the content projection has the type: 400 unknown_type.
                let status = response.status();
                let body = response.text().await?;
                if !body.contains("unknown_type") {
                    return Err(format!("waiting for the read models: {status} {body}").into());
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                say(&format!("waiting for the read models: {e}"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        if shown.elapsed() > Duration::from_secs(30) {
            shown = Instant::now();
            say(&format!("catching up to {head}: {:.0} s, {}", started.elapsed().as_secs_f64(), progress(data).await));
        }
    }
    let names: Vec<String> = projectors::all_projections().iter().map(|p| p.name().to_owned()).collect();
    loop {
        let reached = data.checkpoints().await;
        if names.iter().all(|n| reached.get(n).is_some_and(|at| *at >= head)) {
            break;
        }
        if started.elapsed() > timeout {
            return Err(format!("projections did not all reach {head}: {reached:?}").into());
        }
        if shown.elapsed() > Duration::from_secs(30) {
            shown = Instant::now();
            say(&format!("lists ready; the other projections: {}", progress(data).await));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let history = format!("{}/v1/users/1/history?limit=1", server.url);
    for attempt in 0.. {
        let response = client.get(&history).bearer_auth(site).send().await?;
        if response.status().as_u16() == 200 {
            break;
        }
        if attempt > 100 {
            return Err(format!("the site key does not work: {} {}", response.status(), response.text().await?).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(seconds)
}

async fn get_json(client: &reqwest::Client, url: &str, key: Option<&str>) -> Result<Value, Error> {
    let mut request = client.get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await?;
    let status = response.status();
    let body = response.text().await?;
    if status.as_u16() != 200 {
        return Err(format!("GET {url}: {status} {body}").into());
    }
    Ok(serde_json::from_str(&body)?)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn number_of_slug(slug: &str) -> Option<u64> {
    slug.rsplit('-').next()?.parse().ok()
}

fn list_url(base: &str) -> String {
    format!("{base}/v1/content/article?limit=20&fields={}", encode(CARD))
}

/// What the workloads pick from, resolved once per profile over HTTP.
struct Setup {
    /// Tag `t`'s id at `t - 1`.
    tags: Vec<Uuid>,
    /// Every `next` cursor of the article list paged 100 at a time.
    cursors: Vec<String>,
    /// `(user, ids of 20 articles the user viewed)`.
    state: Vec<(u64, Vec<Uuid>)>,
    /// What setup found and how long it took.
    report: Value,
}

async fn prepare(args: &Args, client: &reqwest::Client, base: &str, site: &str, editor: &str) -> Result<Setup, Error> {
    let started = Instant::now();
    let (articles, views) = (args.scale.articles(), args.scale.views());
    // Tags, by slug.
    let mut tags = vec![Uuid::nil(); TAGS as usize];
    let mut url = format!("{base}/v1/content/tag?limit=100&fields=slug");
    let mut found = 0;
    loop {
        let page = get_json(client, &url, None).await?;
        for item in page["data"].as_array().into_iter().flatten() {
            let n = item["slug"].as_str().and_then(number_of_slug).ok_or("a tag without a tag-<n> slug")?;
            let id = Uuid::parse_str(item["id"].as_str().ok_or("a tag without id")?)?;
            if (1..=TAGS).contains(&n) {
                tags[n as usize - 1] = id;
                found += 1;
            }
        }
        match page["next"].as_str() {
            Some(next) => url = format!("{base}/v1/content/tag?limit=100&fields=slug&after={}", encode(next)),
            None => break,
        }
    }
    if found != TAGS {
        return Err(format!("found {found} of {TAGS} tags").into());
    }
    let tags_seconds = started.elapsed().as_secs_f64();
    // Cursors: page the whole list.
    let cursors_started = Instant::now();
    let (mut cursors, mut listed) = (Vec::new(), 0u64);
    let first = format!("{base}/v1/content/article?limit=100&fields={}", encode(CARD));
    let mut url = first.clone();
    loop {
        let page = get_json(client, &url, None).await?;
        listed += page["data"].as_array().map_or(0, |d| d.len() as u64);
        match page["next"].as_str() {
            Some(next) => {
                cursors.push(next.to_owned());
                url = format!("{first}&after={}", encode(next));
            }
            None => break,
        }
        if cursors.len() % 1000 == 0 {
            say(&format!("paging the article list: {} pages", cursors.len()));
        }
    }
    let cursors_seconds = cursors_started.elapsed().as_secs_f64();
    say(&format!("{} cursors from {listed} listed articles in {cursors_seconds:.0} s", cursors.len()));
    // State: the articles each pooled user viewed, by slug (drafts too: an editor key sees them).
    let state_started = Instant::now();
    let mut ids: HashMap<u64, Uuid> = HashMap::new();
    let mut wanted = Vec::new();
    for i in 0..args.state_users {
        let user = state_user(i);
        let items: Vec<u64> = views_of(user, views).take(20).map(|k| viewed_article(k, articles)).collect();
        wanted.extend(items.iter().copied());
        ids.extend(items.iter().map(|a| (*a, Uuid::nil())));
    }
    let mut pending: Vec<u64> = ids.keys().copied().collect();
    pending.sort_unstable();
    for chunk in pending.chunks(32) {
        let lookups = chunk.iter().map(|a| {
            let url = format!("{base}/v1/content/article/article-{a}?fields=slug");
            async move {
                let body = get_json(client, &url, Some(editor)).await?;
                let id = Uuid::parse_str(body["data"]["id"].as_str().ok_or("an article without id")?)?;
                Ok::<_, Error>((*a, id))
            }
        });
        for result in futures_util::future::join_all(lookups).await {
            let (a, id) = result?;
            ids.insert(a, id);
        }
    }
    let state: Vec<(u64, Vec<Uuid>)> = (0..args.state_users)
        .map(|i| {
            let user = state_user(i);
            let items = views_of(user, views).take(20).map(|k| ids[&viewed_article(k, articles)]).collect();
            (user, items)
        })
        .collect();
    let state_seconds = state_started.elapsed().as_secs_f64();
    let checks = checks(args, client, base, site, &tags, &state).await?;
    say(&format!("checks: {checks}"));
    let report = json!({
        "seconds": started.elapsed().as_secs_f64(),
        "tags": found, "tags_seconds": tags_seconds,
        "cursors": cursors.len(), "listed_articles": listed, "cursors_seconds": cursors_seconds,
        "state_users": state.len(), "state_articles_resolved": ids.len(), "state_seconds": state_seconds,
        "checks": checks,
    });
    Ok(Setup { tags, cursors, state, report })
}

/// The check values DATASET.md gives, recomputed for this scale from its formulas and compared
/// with what the API answers (so the numbers measure the right data).
async fn checks(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    site: &str,
    tags: &[Uuid],
    state: &[(u64, Vec<Uuid>)],
) -> Result<Value, Error> {
    let (articles, views) = (args.scale.articles(), args.scale.views());
    let published = |a: &u64| a % 10 != 0;
    let slugs = |page: &Value, item: Option<&str>| -> Vec<u64> {
        page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| item.map_or(d, |m| &d[m])["slug"].as_str().and_then(number_of_slug))
            .collect()
    };
    let list20: Vec<u64> = (1..=articles).rev().filter(published).take(20).collect();
    let got = slugs(&get_json(client, &list_url(base), None).await?, None);
    let by_tag: Vec<u64> = (1..=articles).rev().filter(|a| published(a) && tags_of(*a).contains(&7)).take(20).collect();
    let url = format!("{}&filter%5Btags%5D={}", list_url(base), tags[6]);
    let got_tag = slugs(&get_json(client, &url, None).await?, None);
    let history: Vec<u64> = views_of(42, views).rev().map(|k| viewed_article(k, articles)).take(20).collect();
    let history_published: Vec<u64> =
        views_of(42, views).rev().map(|k| viewed_article(k, articles)).filter(published).take(20).collect();
    let url = format!("{base}/v1/users/42/history?limit=20");
    let got_history = slugs(&get_json(client, &url, Some(site)).await?, Some("item"));
    let (user, items) = state.first().ok_or("no state users")?;
    let url = format!("{base}/v1/users/{user}/state?items={}", join(items));
    let body = get_json(client, &url, Some(site)).await?;
    let viewed = items.iter().filter(|i| body["data"][i.to_string()]["viewed"] == json!(true)).count();
    Ok(json!({
        "list20": got == list20,
        "by_tag_7": got_tag == by_tag,
        "history_42": if got_history == history { "all views" } else if got_history == history_published { "published only" } else { "differs" },
        "history_42_ids": got_history,
        "state_first_user_viewed": format!("{viewed}/{}", items.len()),
    }))
}

fn join(items: &[Uuid]) -> String {
    items.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
}

// --- the workloads ----------------------------------------------------------------------------

async fn measure(
    workload: &str,
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    site: &str,
    setup: &Arc<Setup>,
) -> Result<Figures, Error> {
    let (c, warmup, seconds) = (args.connections, args.warmup, args.seconds);
    let articles = args.scale.articles();
    let getter = |key: Option<&str>| Getter::new(client.clone(), workload, key);
    let figures = match workload {
        "list20" => {
            let (get, url) = (getter(None), Arc::new(list_url(base)));
            load(c, warmup, seconds, move |_| {
                let (get, url) = (get.clone(), url.clone());
                async move { get.get(&url).await }
            })
            .await
        }
        "list20_cursor" => {
            let urls: Arc<Vec<String>> =
                Arc::new(setup.cursors.iter().map(|k| format!("{}&after={}", list_url(base), encode(k))).collect());
            let get = getter(None);
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        "by_tag" => {
            let urls: Arc<Vec<String>> =
                Arc::new(setup.tags.iter().map(|t| format!("{}&filter%5Btags%5D={t}", list_url(base))).collect());
            let get = getter(None);
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        "detail" => {
            let (get, base) = (getter(None), Arc::<str>::from(base));
            load(c, warmup, seconds, move |_| {
                let get = get.clone();
                let id = published_at_or_before(fastrand::u64(1..=articles));
                let url = format!("{base}/v1/content/article/article-{id}");
                async move { get.get(&url).await }
            })
            .await
        }
        "history" => {
            let (get, base) = (getter(Some(site)), Arc::<str>::from(base));
            load(c, warmup, seconds, move |_| {
                let get = get.clone();
                let url = format!("{base}/v1/users/{}/history?limit=20", fastrand::u64(1..=USERS));
                async move { get.get(&url).await }
            })
            .await
        }
        "state" => {
            let urls: Arc<Vec<String>> = Arc::new(
                setup
                    .state
                    .iter()
                    .map(|(u, items)| format!("{base}/v1/users/{u}/state?items={}", join(items)))
                    .collect(),
            );
            let get = getter(Some(site));
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        HEALTHZ => {
            let (get, url) = (getter(None), Arc::new(format!("{base}/healthz")));
            load(c, warmup, seconds, move |_| {
                let (get, url) = (get.clone(), url.clone());
                async move { get.get(&url).await }
            })
            .await
        }
        other => return Err(format!("unknown workload {other}").into()),
    };
    Ok(figures)
}

// --- the database alone -----------------------------------------------------------------------

const SENTINEL_UUID: Uuid = Uuid::max();
const SENTINEL_TIME: i64 = 4_242_424_242_424_242;
const SENTINEL_SLUG: &str = "sentinel-slug";
const SENTINEL_USER: &str = "sentinel-user";

async fn list_plan(db: &ReadDb, query: &str) -> Result<ListPlan, Error> {
    let definition = Catalog::default().get(db, "article").await.map_err(|e| format!("{e}"))?;
    let params = query_api::request::params::parse_list(query).map_err(|e| format!("{e:?}"))?;
    Ok(query_api::plan::plan("article", &definition, Audience::Public, &params).map_err(|e| format!("{e:?}"))?)
}

fn list_query(tag: Option<Uuid>) -> String {
    let mut query = format!("limit=20&fields={}", encode(CARD));
    if let Some(tag) = tag {
        let _ = write!(query, "&filter%5Btags%5D={tag}");
    }
    query
}

/// Each shape's statement as the query API renders it, with the given parameters.
struct Statements {
    list20: Sql,
    list20_cursor: Sql,
    by_tag: Sql,
    detail: Sql,
    history: Sql,
    state: Sql,
}

impl Statements {
    async fn render(
        db: &ReadDb,
        tag: Uuid,
        cursor: &Cursor,
        slug: &str,
        user: &str,
        items: &[Uuid],
    ) -> Result<Self, Error> {
        let dialect = db.dialect();
        let plan = list_plan(db, &list_query(None)).await?;
        let tagged = list_plan(db, &list_query(Some(tag))).await?;
        Ok(Self {
            list20: list::page(dialect, &plan, None),
            list20_cursor: list::page(dialect, &plan, Some(cursor)),
            by_tag: list::page(dialect, &tagged, None),
            detail: lookups::detail(dialect, "article", &ItemRef::Slug(slug.to_owned()), &["published"]),
            history: lookups::history(dialect, user, None, &["published"], 21),
            state: lookups::state(dialect, user, items),
        })
    }

    fn get(&self, shape: &str) -> Option<&Sql> {
        Some(match shape {
            "list20" => &self.list20,
            "list20_cursor" => &self.list20_cursor,
            "by_tag" => &self.by_tag,
            "detail" => &self.detail,
            "history" => &self.history,
            "state" => &self.state,
            _ => return None,
        })
    }
}

/// The pgbench script of each shape: the query API's statement with its random parameters
/// drawn by pgbench and looked up in SQL (one indexed probe each; `folio_bench.state_items`
/// holds the state users' 20 article ids).
async fn pgbench_scripts(db: &ReadDb, articles: u64, state_users: u64) -> Result<Vec<(String, String)>, Error> {
    let cursor = Cursor { key: KeyValue::Int(SENTINEL_TIME), id: SENTINEL_UUID };
    let sql = Statements::render(db, SENTINEL_UUID, &cursor, SENTINEL_SLUG, SENTINEL_USER, &[SENTINEL_UUID]).await?;
    let article = "FROM content_items WHERE type = 'article' AND slug = 'article-' || CAST(:p AS text)";
    let pick_published = format!("\\set r random(1, {articles})\n\\set p :r - 1 + least(:r % 10, 1)\n");
    let user = (Arg::Text(SENTINEL_USER.into()), "CAST(:u AS text)".to_owned());
    let scripts = vec![
        ("list20", String::new(), perf::pgbench::inline(&sql.list20, &[])?),
        (
            "list20_cursor",
            pick_published.clone(),
            perf::pgbench::inline(
                &sql.list20_cursor,
                &[
                    (Arg::Time(SENTINEL_TIME), format!("SELECT published_at {article}")),
                    (Arg::Uuid(SENTINEL_UUID), format!("SELECT id {article}")),
                ],
            )?,
        ),
        (
            "by_tag",
            format!("\\set t random(1, {TAGS})\n"),
            perf::pgbench::inline(
                &sql.by_tag,
                &[(
                    Arg::Uuid(SENTINEL_UUID),
                    "SELECT id FROM content_items WHERE type = 'tag' AND slug = 'tag-' || CAST(:t AS text)".into(),
                )],
            )?,
        ),
        (
            "detail",
            pick_published,
            perf::pgbench::inline(
                &sql.detail,
                &[(Arg::Text(SENTINEL_SLUG.into()), "'article-' || CAST(:p AS text)".into())],
            )?,
        ),
        (
            "history",
            format!("\\set u random(1, {USERS})\n"),
            perf::pgbench::inline(&sql.history, std::slice::from_ref(&user))?,
        ),
        (
            "state",
            format!("\\set i random(0, {})\n\\set u (:i * 7919) % {USERS} + 1\n", state_users.saturating_sub(1)),
            perf::pgbench::inline(
                &sql.state,
                &[
                    user,
                    (
                        Arg::UuidArray(vec![SENTINEL_UUID]),
                        "(SELECT items FROM folio_bench.state_items WHERE user_id = :u)::uuid[]".into(),
                    ),
                ],
            )?,
        ),
    ];
    Ok(scripts.into_iter().map(|(name, head, body)| (name.to_owned(), format!("{head}{body}"))).collect())
}

/// The state users' article ids, for pgbench.
async fn store_state_items(url: &str, state: &[(u64, Vec<Uuid>)]) -> Result<(), Error> {
    let mut db = PgConnection::connect(url).await?;
    sqlx::query("CREATE SCHEMA IF NOT EXISTS folio_bench").execute(&mut db).await?;
    sqlx::query("DROP TABLE IF EXISTS folio_bench.state_items").execute(&mut db).await?;
    sqlx::query("CREATE TABLE folio_bench.state_items (user_id integer PRIMARY KEY, items uuid[] NOT NULL)")
        .execute(&mut db)
        .await?;
    for (user, items) in state {
        sqlx::query("INSERT INTO folio_bench.state_items VALUES ($1, $2)")
            .bind(i32::try_from(*user)?)
            .bind(items.as_slice())
            .execute(&mut db)
            .await?;
    }
    sqlx::query("ANALYZE folio_bench.state_items").execute(&mut db).await?;
    Ok(())
}

/// One sample of each shape's statement with its plan (PostgreSQL: EXPLAIN ANALYZE, BUFFERS;
/// SQLite: EXPLAIN QUERY PLAN), for the record.
async fn plans(data: &Data, setup: &Setup, articles: u64) -> Result<String, Error> {
    let db = &data.read;
    let middle = published_at_or_before(articles / 2 + 1);
    let mut cursor_row = Sql::new(db.dialect());
    cursor_row
        .push("SELECT id, published_at FROM content_items WHERE type = 'article' AND slug = ")
        .bind(Arg::Text(format!("article-{middle}")));
    let rows = db.fetch(&cursor_row).await.map_err(|e| format!("{e}"))?;
    let row = rows.first().ok_or("no middle article")?;
    let at = row.opt_time(1).map_err(|e| format!("{e}"))?.ok_or("the middle article is unpublished")?;
    let cursor = Cursor { key: KeyValue::Int(at), id: row.uuid(0).map_err(|e| format!("{e}"))? };
    let (user, items) = setup.state.first().ok_or("no state users")?;
    let sql = Statements::render(db, setup.tags[6], &cursor, "article-12345", &user.to_string(), items).await?;
    let mut out = String::new();
    let samples = [
        ("list20", "newest 20"),
        ("list20_cursor", "after the cursor of article <N/2+1>"),
        ("by_tag", "tag 7"),
        ("detail", "slug article-12345"),
        ("history", "user 42"),
        ("state", "the first state user"),
    ];
    for (shape, sample) in samples {
        let mut statement = sql.get(shape).ok_or("no statement")?.clone();
        if shape == "history" {
            statement = lookups::history(db.dialect(), "42", None, &["published"], 21);
        }
        let _ = writeln!(out, "## {} {shape} ({sample})\n\n{}\n", data.store.profile(), statement.text);
        let lines = match db {
            ReadDb::Postgres(_) => {
                let mut explain = statement.clone();
                explain.text = format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.text);
                // Twice: the second run is the warm one.
                let _ = db.fetch(&explain).await;
                let rows = db.fetch(&explain).await.map_err(|e| format!("{e}"))?;
                rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{e}"))?
            }
            ReadDb::Sqlite(_) => db.explain(&statement).await.map_err(|e| format!("{e}"))?,
        };
        let _ = writeln!(out, "```\n{}\n```\n", lines.join("\n"));
    }
    Ok(out)
}

// --- one profile ------------------------------------------------------------------------------

/// One `folio serve` (one cache size) and what it measured.
struct CacheRun {
    cache_mb: u32,
    ready_seconds: f64,
    /// Each workload's figures, where the CPU went meanwhile, and how many attempts it took.
    workloads: Vec<(String, Figures, Cpu, usize)>,
}

struct ProfileRun {
    profile: String,
    seed: Value,
    head: u64,
    setup: Value,
    runs: Vec<CacheRun>,
    ceilings: Vec<(String, Figures, String, Cpu, usize)>,
    ceiling_failures: Vec<Value>,
    plans: String,
}

async fn run_profile(profile: &str, args: &Args) -> Result<ProfileRun, Error> {
    let scale = args.scale.name();
    let store = match profile {
        "postgres" => {
            let name = args.database.clone().unwrap_or_else(|| format!("perf_query_{scale}"));
            let base = args.pg_url.rsplit_once('/').map_or(args.pg_url.as_str(), |(base, _)| base);
            Store::Postgres(format!("{base}/{name}"))
        }
        "embedded" => Store::Embedded(
            args.data_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/var/tmp/perf-query-{scale}"))),
        ),
        other => return Err(format!("unknown profile {other}").into()),
    };
    let seed = ensure_seeded(args, &store).await?;
    let data = Data::open(store.clone())?;
    // Which processes, and whose PostgreSQL backends, are the benchmark's.
    let (own, database): (&'static [&'static str], String) = match &store {
        Store::Postgres(url) => (&OWN_PROCESSES, url.rsplit('/').next().unwrap_or_default().to_owned()),
        Store::Embedded(_) => (&OWN_PROCESSES_EMBEDDED, String::new()),
    };
    let site = create_key(&args.folio, "site", &store.args())?;
    let editor = create_key(&args.folio, "editor", &store.args())?;
    let head = data.head().await?;
    say(&format!("{profile}: {} events in the store", head));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(args.request_timeout))
        .build()?;
    let mut setup: Option<Arc<Setup>> = None;
    let mut runs = Vec::new();
    for &cache in &args.caches {
        let mut extra = vec![
            "--query-cache-mb".to_owned(),
            cache.to_string(),
            "--read-pool-size".to_owned(),
            args.read_pool_size.to_string(),
        ];
        extra.extend(args.serve_args.iter().cloned());
        say(&format!("{profile}: folio serve {}", extra.join(" ")));
        let mut server = Server::start(&args.folio, &store.args(), &extra)?;
        let timeout = Duration::from_secs(args.catch_up_timeout);
        let ready_seconds = wait_ready(&client, &mut server, &data, head, &site, timeout).await?;
        say(&format!("{profile}: ready at {head} after {ready_seconds:.1} s"));
        let prepared = match &setup {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(prepare(args, &client, &server.url, &site, &editor).await?);
                setup = Some(s.clone());
                s
            }
        };
        let mut workloads = Vec::new();
        for workload in args.workloads.iter().map(String::as_str).chain([HEALTHZ]) {
            let mut attempts = Vec::new();
            let (figures, cpu) = loop {
                wait_for_quiet(args, own, &database).await;
                // CPU is read when the measured window opens (the warm-up has passed) and after it.
                let (warmup, db) = (Duration::from_secs(args.warmup), database.clone());
                let opened = tokio::spawn(async move {
                    tokio::time::sleep(warmup).await;
                    (Snapshot::take(own, &db), Instant::now())
                });
                let figures = measure(workload, args, &client, &server.url, &site, &prepared).await?;
                let (before, began) = opened.await?;
                let after = Snapshot::take(own, &database);
                let cpu = Cpu::between(&before, &after, began.elapsed(), figures.operations);
                attempts.push((figures, cpu));
                if let Some(kept) = settled(&attempts, args, &format!("{profile} cache {cache} MiB {workload}")) {
                    break kept;
                }
            };
            say(&format!(
                "{profile} cache {cache} MiB {workload}: {:.0}/s p50 {:.2} p95 {:.2} p99 {:.2} max {:.1} ms, {} errors; {cpu}",
                figures.per_second(),
                figures.p50_ms(),
                figures.p95_ms(),
                figures.p99_ms(),
                figures.max_ms(),
                figures.errors
            ));
            workloads.push((workload.to_owned(), figures, cpu, attempts.len()));
            if !server.running() {
                return Err(format!("folio serve exited during {workload}").into());
            }
        }
        server.stop()?;
        runs.push(CacheRun { cache_mb: cache, ready_seconds, workloads });
    }
    let setup = setup.ok_or("no cache size to run")?;
    let (mut ceilings, mut ceiling_failures) = (Vec::new(), Vec::new());
    if let (Store::Postgres(url), false) = (&store, args.no_pgbench) {
        store_state_items(url, &setup.state).await?;
        let scripts = pgbench_scripts(&data.read, args.scale.articles(), args.state_users).await?;
        for (shape, script) in scripts.into_iter().filter(|(s, _)| args.workloads.contains(s)) {
            let mut attempts = Vec::new();
            let measured = loop {
                wait_for_quiet(args, own, &database).await;
                let (url, text, clients, db) = (url.clone(), script.clone(), args.connections, database.clone());
                let (warmup, seconds) = (args.warmup, args.seconds);
                let attempt = tokio::task::spawn_blocking(move || {
                    let dir = tempfile::tempdir()?;
                    let options = format!("-c search_path={}", projectors::read_store::POSTGRES_SCHEMA);
                    let env = [("PGOPTIONS", options.as_str())];
                    // A warm-up run first, as the HTTP workloads have one.
                    perf::pgbench::run_with_env(&url, &text, clients, warmup.max(1), dir.path(), &env)?;
                    let (before, began) = (Snapshot::take(&OWN_PROCESSES, &db), Instant::now());
                    let figures = perf::pgbench::run_with_env(&url, &text, clients, seconds, dir.path(), &env)?;
                    let cpu = Cpu::between(
                        &before,
                        &Snapshot::take(&OWN_PROCESSES, &db),
                        began.elapsed(),
                        figures.operations,
                    );
                    Ok::<_, Error>((figures, cpu))
                })
                .await?;
                match attempt {
                    Ok(measured) => {
                        attempts.push(measured);
                        if let Some(kept) = settled(&attempts, args, &format!("{profile} pgbench {shape}")) {
                            break Ok(kept);
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            match measured {
                Ok((figures, cpu)) => {
                    say(&format!(
                        "{profile} pgbench {shape}: {:.0}/s p50 {:.2} p95 {:.2} p99 {:.2} ms, {} errors; {cpu}",
                        figures.per_second(),
                        figures.p50_ms(),
                        figures.p95_ms(),
                        figures.p99_ms(),
                        figures.errors
                    ));
                    ceilings.push((shape, figures, script, cpu, attempts.len()));
                }
                Err(e) => {
                    say(&format!("{profile} pgbench {shape} failed: {e}\n{script}"));
                    ceiling_failures.push(json!({"shape": shape, "error": e.to_string(), "script": script}));
                }
            }
        }
    }
    let plans = plans(&data, &setup, args.scale.articles()).await.unwrap_or_else(|e| format!("plans failed: {e}\n"));
    data.close().await;
    if args.drop_after {
        match &store {
            Store::Postgres(url) => {
                let name = url.rsplit('/').next().unwrap_or_default();
                let mut admin = PgConnection::connect(&args.pg_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
            }
            Store::Embedded(dir) => std::fs::remove_dir_all(dir)?,
        }
    }
    Ok(ProfileRun {
        profile: profile.to_owned(),
        seed,
        head,
        setup: setup.report.clone(),
        runs,
        ceilings,
        ceiling_failures,
        plans,
    })
}

/// Waits (up to 20 minutes) until processes other than the benchmark's use at most
/// `--max-others` cores over 3 seconds.
async fn wait_for_quiet(args: &Args, own: &[&str], database: &str) {
    let started = Instant::now();
    let mut shown = Instant::now();
    loop {
        let before = Snapshot::take(own, database);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let others = Snapshot::take(own, database).others_since(&before, Duration::from_secs(3));
        if others <= args.max_others {
            return;
        }
        if started.elapsed() > Duration::from_secs(20 * 60) {
            say(&format!("still {others:.2} cores used by other processes after 20 minutes; measuring anyway"));
            return;
        }
        if shown.elapsed() > Duration::from_secs(30) || started.elapsed() < Duration::from_secs(4) {
            shown = Instant::now();
            say(&format!("waiting for a quiet machine: other processes use {others:.2} cores"));
        }
    }
}

/// The attempt to keep once the last one was undisturbed or no retry is left (the quietest),
/// or None to measure again.
fn settled(attempts: &[(Figures, Cpu)], args: &Args, label: &str) -> Option<(Figures, Cpu)> {
    let last = attempts.last()?;
    if last.1.others > args.max_others && attempts.len() <= args.retries {
        say(&format!(
            "{label}: other processes used {:.2} cores (> {}); measuring again ({:.0}/s this time)",
            last.1.others,
            args.max_others,
            last.0.per_second()
        ));
        return None;
    }
    attempts.iter().min_by(|a, b| a.1.others.total_cmp(&b.1.others)).cloned()
}

// --- the report -------------------------------------------------------------------------------

/// Where the CPU went during a measured window.
#[derive(Debug, Clone)]
struct Cpu {
    /// Cores' worth used by processes other than the benchmark's.
    others: f64,
    /// CPU seconds of each of the benchmark's processes (by name).
    seconds: HashMap<String, f64>,
    operations: u64,
}

impl Cpu {
    fn between(before: &Snapshot, after: &Snapshot, elapsed: Duration, operations: u64) -> Self {
        Self { others: after.others_since(before, elapsed), seconds: after.own_seconds_since(before), operations }
    }

    fn per_request_us(&self, name: &str) -> f64 {
        self.seconds.get(name).copied().unwrap_or(0.0) * 1e6 / (self.operations.max(1) as f64)
    }

    /// The load generator's: query-bench, or pgbench (our child: reaped, it counts as ours).
    fn client_us(&self) -> f64 {
        self.per_request_us("query-bench") + self.per_request_us("pgbench")
    }

    /// `folio / postgres / client` in µs per request.
    fn per_request_text(&self) -> String {
        format!(
            "{:.0} / {:.0} / {:.0}",
            self.per_request_us("folio"),
            self.per_request_us("postgres"),
            self.client_us()
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "other_processes_cores": self.others,
            "cpu_seconds": self.seconds,
            "us_per_request": self.seconds.keys().map(|k| (k.clone(), json!(self.per_request_us(k)))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU µs/request folio / postgres / client {}; other processes {:.2} cores",
            self.per_request_text(),
            self.others
        )
    }
}

/// The target of `workload` at `cache_mb`, and whether `figures` met it.
fn target(cache_mb: u32, workload: &str, figures: &Figures, ceiling: Option<&Figures>) -> (String, String) {
    if workload == HEALTHZ {
        return (String::new(), String::new());
    }
    let clean = figures.errors == 0;
    if cache_mb == 0 {
        let mut text = "≥ 5,000/s, p95 ≤ 20 ms".to_owned();
        let mut met = figures.per_second() >= 5000.0 && figures.p95_ms() <= 20.0 && clean;
        match ceiling {
            Some(c) => {
                text.push_str(", ≥ 0.8× pgbench");
                met &= figures.per_second() >= 0.8 * c.per_second();
            }
            None => text.push_str(" (no pgbench for SQLite)"),
        }
        return (text, if met { "met".into() } else { "**missed**".into() });
    }
    if matches!(workload, "list20" | "by_tag") {
        let met = figures.per_second() >= 20_000.0 && figures.p95_ms() <= 10.0 && clean;
        return ("≥ 20,000/s, p95 ≤ 10 ms".into(), if met { "met".into() } else { "**missed**".into() });
    }
    (String::new(), String::new())
}

fn table(runs: &[ProfileRun]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| profile | cache | workload | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | pgbench req/s | pgbench p95 ms | Folio ÷ ceiling | target | met | CPU µs per request: folio / postgres / client (pgbench: postgres / pgbench) | other processes, cores |");
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|");
    for run in runs {
        for cache in &run.runs {
            let healthz = cache.workloads.iter().find(|(w, _, _, _)| w == HEALTHZ).map(|(_, f, _, _)| f);
            for (workload, f, cpu, attempts) in &cache.workloads {
                let ceiling = run.ceilings.iter().find(|(s, _, _, _, _)| s == workload).map(|(_, c, _, _, _)| c);
                let mut cpu_text = cpu.per_request_text();
                if let Some((_, _, _, c, _)) = run.ceilings.iter().find(|(s, _, _, _, _)| s == workload) {
                    let _ = write!(cpu_text, " (pgbench: {:.0} / {:.0})", c.per_request_us("postgres"), c.client_us());
                }
                let (ceiling_rate, ceiling_p95, ratio) = match (ceiling, workload.as_str(), healthz) {
                    (Some(c), _, _) => (
                        format!("{:.0}", c.per_second()),
                        format!("{:.2}", c.p95_ms()),
                        format!("{:.2}", f.per_second() / c.per_second().max(f64::EPSILON)),
                    ),
                    (None, HEALTHZ, _) => ("".into(), "".into(), "".into()),
                    (None, _, Some(h)) => {
                        ("n/a".into(), "n/a".into(), format!("{:.2} of HTTP", f.per_second() / h.per_second().max(1.0)))
                    }
                    (None, _, None) => ("n/a".into(), "n/a".into(), String::new()),
                };
                let (target, met) = target(cache.cache_mb, workload, f, ceiling);
                let cache_text = if cache.cache_mb == 0 { "off".to_owned() } else { format!("{} MiB", cache.cache_mb) };
                let name = if workload == HEALTHZ { "HTTP ceiling: GET /healthz".to_owned() } else { workload.clone() };
                let _ = writeln!(
                    out,
                    "| {} | {cache_text} | {name} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {ceiling_rate} | {ceiling_p95} | {ratio} | {target} | {met} | {} | {} |",
                    run.profile,
                    f.per_second(),
                    f.p50_ms(),
                    f.p95_ms(),
                    f.p99_ms(),
                    f.max_ms(),
                    f.errors,
                    cpu_text,
                    if *attempts > 1 { format!("{:.2} (attempt {attempts})", cpu.others) } else { format!("{:.2}", cpu.others) },
                );
            }
        }
    }
    out
}

const NOTES: &str = "\
How to read it:

- Folio ÷ ceiling: against pgbench running the same statement (PostgreSQL); for SQLite there is no \
such client, so the rows give the share of the HTTP ceiling (GET /healthz, same connections, same \
server) instead, and the 0.8× criterion does not apply.
- The pgbench statements are the query API's own (`query_api::sql::list::page`, \
`query_api::sql::lookups::{detail, history, state}` for the plans `query_api::plan::plan` makes of the \
same query strings), literal arguments inlined, `--protocol=prepared`, 100 clients, 2 threads, \
`PGOPTIONS=-c search_path=folio_read`, after a warm-up run. Random parameters are drawn by pgbench \
and looked up in SQL, work the ceiling does and Folio does not: by_tag's tag id \
(`SELECT id FROM content_items WHERE type = 'tag' AND slug = 'tag-' || :t`), list20_cursor's key \
and id (two such lookups of article P, uniform over the published articles; the HTTP side picks \
among the real `next` cursors of the list paged by 100, also uniform over depth), the state user's \
20 article ids (one primary-key lookup in `folio_bench.state_items`, filled at setup). pgbench \
receives the rows and discards them; Folio decodes each document, keeps the asked fields and \
renders JSON over HTTP.
- detail is `GET /v1/content/article/article-<id>`: the item with its counters. DATASET.md's detail \
also carries the comments; Folio serves those at `/comments`, so neither side reads them here. \
history and state use a site key; a site sees published items only, so history U skips drafts.
- Errors: any answer but 200, and any request without an answer after `--request-timeout`. A \
request that starts in the measured window counts even when it ends after it (the window then \
lasts until it answered).
- CPU µs per request: CPU time of `folio serve`, of PostgreSQL (every backend, the postmaster's \
reaped children included) and of the client (query-bench, or pgbench for the ceiling) over the \
measured window, divided by the requests answered; from /proc, 10 ms ticks. other processes: \
cores' worth of CPU that every other process used in the window (the machine is shared; \
PostgreSQL backends of other databases count as other, and on the embedded profile all of \
PostgreSQL does).
- Plans of one sample of each statement (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on \
SQLite): the `.plans.md` file beside this one.
";

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("({program}: {e})"))
}

async fn environment(args: &Args) -> Value {
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_owned()))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0.0, |kb| kb as f64 / 1024.0 / 1024.0);
    let postgres = match PgConnection::connect(&args.pg_url).await {
        Ok(mut c) => sqlx::query_scalar::<_, String>("SELECT version()").fetch_one(&mut c).await.unwrap_or_default(),
        Err(e) => format!("({e})"),
    };
    let sqlite = match sqlx::SqliteConnection::connect("sqlite::memory:").await {
        Ok(mut c) => sqlx::query("SELECT sqlite_version()")
            .fetch_one(&mut c)
            .await
            .ok()
            .and_then(|r| r.try_get::<String, _>(0).ok())
            .unwrap_or_default(),
        Err(e) => format!("({e})"),
    };
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": memory,
        "cpu": command_output("sh", &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
        "folio": command_output(&args.folio.display().to_string(), &["--version"]),
        // The binary measured: when it was built says which tree it came from.
        "folio_binary_built": std::fs::metadata(&args.folio)
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339())
            .unwrap_or_default(),
        "postgres": postgres,
        "pgbench": command_output("pgbench", &["--version"]),
        "sqlite": sqlite,
        "rustc": command_output("rustc", &["--version"]),
        "git_head": command_output("git", &["rev-parse", "HEAD"]),
        "git_uncommitted": command_output("git", &["status", "--porcelain", "--untracked-files=no"]),
    })
}

fn write_results(out: &Path, args: &Args, env: &Value, runs: &[ProfileRun], started: &str) -> Result<(), Error> {
    let scale = args.scale;
    let command = args.command.clone().unwrap_or_else(|| std::env::args().collect::<Vec<_>>().join(" "));
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Query API on the bench dataset ({}: {} articles, {} views), {started}\n",
        scale.name(),
        scale.articles(),
        scale.views()
    );
    let _ = writeln!(md, "Command: `{command}`\n");
    let _ = writeln!(
        md,
        "Machine: {} cores ({}), {:.0} GiB; {}; {}; SQLite {}; folio: {} (binary built {}; tree at git {}).\n",
        env["cores"],
        env["cpu"].as_str().unwrap_or_default().trim(),
        env["memory_gib"].as_f64().unwrap_or_default(),
        env["postgres"].as_str().unwrap_or_default().split(" on ").next().unwrap_or_default(),
        env["pgbench"].as_str().unwrap_or_default(),
        env["sqlite"].as_str().unwrap_or_default(),
        env["folio"].as_str().unwrap_or_default(),
        env["folio_binary_built"].as_str().unwrap_or_default(),
        env["git_head"].as_str().unwrap_or_default().get(..10).unwrap_or_default(),
    );
    if env["git_uncommitted"].as_str().is_some_and(|s| !s.is_empty()) {
        let _ = writeln!(
            md,
            "Uncommitted changes in the tree the binaries were built from:\n```\n{}\n```\n",
            env["git_uncommitted"].as_str().unwrap_or_default()
        );
    }
    let _ = writeln!(
        md,
        "{} connections, warm-up {} s, measured {} s per workload; `folio serve --read-pool-size {}{}{}`; load generator on the same machine. Any non-200 answer is an error.\n",
        args.connections,
        args.warmup,
        args.seconds,
        args.read_pool_size,
        if args.serve_args.is_empty() { "" } else { " " },
        args.serve_args.join(" ")
    );
    let _ = writeln!(
        md,
        "A window in which other processes used more than {} cores was measured again after a quiet spell, up to {} more times; the quietest attempt is shown.\n",
        args.max_others, args.retries
    );
    for run in runs {
        let ready = run.runs.first().map_or(0.0, |r| r.ready_seconds);
        let loaded = if run.seed["reused"] == json!(true) {
            format!("data and read models from an earlier run (ready in {ready:.1} s)")
        } else {
            format!(
                "seeded in {:.0} s, then `folio serve` caught up in {ready:.0} s ({:.0} events/s, every projection)",
                run.seed["seconds"].as_f64().unwrap_or_default(),
                run.head as f64 / ready.max(0.001)
            )
        };
        let _ = writeln!(md, "- {}: {} events; {loaded}; checks: {}.", run.profile, run.head, run.setup["checks"]);
    }
    let _ = writeln!(md, "\n{}", table(runs));
    let _ = writeln!(md, "{}", NOTES);
    std::fs::write(out.with_extension("md"), &md)?;
    let json_runs: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "profile": r.profile,
                "events": r.head,
                "seed": r.seed,
                "setup": r.setup,
                "runs": r.runs.iter().map(|c| json!({
                    "cache_mb": c.cache_mb,
                    "ready_seconds": c.ready_seconds,
                    "workloads": c.workloads.iter().map(|(w, f, cpu, attempts)| {
                        let mut figures = f.to_json();
                        figures["cpu"] = cpu.to_json();
                        figures["attempts"] = json!(attempts);
                        (w.clone(), figures)
                    }).collect::<serde_json::Map<_, _>>(),
                })).collect::<Vec<_>>(),
                "pgbench_failures": r.ceiling_failures,
                "pgbench": r.ceilings.iter().map(|(s, f, script, cpu, attempts)| (s.clone(), json!({"figures": f.to_json(), "script": script, "cpu": cpu.to_json(), "attempts": attempts}))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let document = json!({
        "started": started,
        "command": command,
        "scale": scale.name(), "articles": scale.articles(), "views": scale.views(),
        "connections": args.connections, "warmup": args.warmup, "seconds": args.seconds,
        "read_pool_size": args.read_pool_size, "serve_args": args.serve_args, "caches_mb": args.caches,
        "state_users": args.state_users,
        "environment": env,
        "profiles": json_runs,
    });
    std::fs::write(out.with_extension("json"), serde_json::to_string_pretty(&document)?)?;
    let plans: String = runs.iter().map(|r| r.plans.as_str()).collect();
    std::fs::write(out.with_extension("plans.md"), plans)?;
    let _ = std::io::stdout().lock().write_all(md.as_bytes());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let started = chrono::Utc::now().with_nanosecond(0).unwrap_or_else(chrono::Utc::now);
    let stamp = started.format("%Y-%m-%dT%H%MZ").to_string();
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from(format!("perf/results/query-{stamp}-{}", args.scale.name())));
    // `with_extension` replaces what follows the last dot: keep the stem free of dots.
    let out = out.with_file_name(format!("{}.x", out.file_name().and_then(|n| n.to_str()).unwrap_or("query")));
    if let Some(unknown) = args.workloads.iter().find(|w| !SHAPES.contains(&w.as_str())) {
        return Err(format!("unknown workload {unknown}; the shapes are {}", SHAPES.join(", ")).into());
    }
    let env = environment(&args).await;
    let mut runs = Vec::new();
    for profile in &args.profiles {
        runs.push(run_profile(profile, &args).await?);
        write_results(&out, &args, &env, &runs, &started.to_rfc3339())?;
    }
    Ok(())
}
