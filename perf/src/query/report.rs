//! The results: targets, the markdown table, the JSON document, the machine.

use super::args::Args;
use super::run::ProfileRun;
use super::HEALTHZ;
use crate::measure::Figures;
use crate::Error;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub fn target(cache_mb: u32, workload: &str, figures: &Figures, ceiling: Option<&Figures>) -> (String, String) {
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

pub fn table(runs: &[ProfileRun]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| profile | cache | workload | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | pgbench req/s | pgbench p95 ms | Folio ÷ ceiling | target | met | CPU µs per request: folio / postgres / client (pgbench: postgres / pgbench) | other processes, cores |");
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|");
    for run in runs {
        for cache in &run.runs {
            let healthz = cache.workloads.iter().find(|(w, _, _, _)| w == HEALTHZ).map(|(_, f, _, _)| f);
            for (workload, f, cpu, attempts) in &cache.workloads {
                let found = run.ceilings.iter().find(|c| &c.shape == workload);
                let ceiling = found.map(|c| &c.figures);
                let mut cpu_text = cpu.per_request_text();
                if let Some(c) = found {
                    let _ = write!(
                        cpu_text,
                        " (pgbench: {:.0} / {:.0})",
                        c.cpu.per_request_us("postgres"),
                        c.cpu.client_us()
                    );
                }
                let (ceiling_rate, ceiling_p95, ratio) = match (found, workload.as_str(), healthz) {
                    (Some(c), _, _) => (
                        format!("{:.0} ({} clients)", c.figures.per_second(), c.clients),
                        format!("{:.2}", c.figures.p95_ms()),
                        format!("{:.2}", f.per_second() / c.figures.per_second().max(f64::EPSILON)),
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

pub const NOTES: &str = "\
How to read it:

- Folio ÷ ceiling: against pgbench running the same statement (PostgreSQL); for SQLite there is no \
such client, so the rows give the share of the HTTP ceiling (GET /healthz, same connections, same \
server) instead, and the 0.8× criterion does not apply.
- The pgbench statements are the query API's own (`query_api::sql::list::page`, \
`query_api::sql::lookups::{detail, history, state}` for the plans `query_api::plan::plan` makes of the \
same query strings), literal arguments inlined, `--protocol=prepared`, 2 threads, and each of \
`--pgbench-clients` (default 100, the HTTP side's connections, and 16, the query API's own \
PostgreSQL connections); the fastest is the ceiling (on 2 cores, 100 backends reach less than 16), \
`PGOPTIONS=-c search_path=folio_read` (and `-c plan_cache_mode=force_generic_plan` for the shapes the \
query API has planned once, as its own connections do), after a warm-up run. Random parameters are drawn by pgbench \
and looked up in SQL, work the ceiling does and Folio does not: by_tag's tag id \
(`SELECT id FROM content_items WHERE type = 'tag' AND slug = 'tag-' || :t`), list20_cursor's key \
and id (two such lookups of article P, uniform over the published articles; the HTTP side picks \
among the real `next` cursors of the list paged by 100, also uniform over depth), the state user's \
20 article ids (one primary-key lookup in `folio_bench.state_items`, filled at setup). pgbench \
receives the rows and discards them; Folio decodes each document, keeps the asked fields and \
renders JSON over HTTP.
- One statement per request on the pgbench side; not always on Folio's: under load the query API \
gathers the reads of a statement that arrive while it runs into its next execution (ARCHITECTURE.md, \
\"Gathered reads\": the values as `unnest`ed arrays, the statement run per read as a `LATERAL` \
subquery). The ceiling is what PostgreSQL gives a client sending the statement once per request; \
the gathered form is Folio's own way of asking it less often, and the \"folio / postgres\" CPU \
column shows what that saves on the database.
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

/// The machine and versions (the same description `bench-report` records).
pub async fn environment(args: &Args) -> Value {
    // Under scripts/bench, <out> sits in the results folder that holds the git line it recorded.
    let dir = args.out.as_deref().and_then(std::path::Path::parent).unwrap_or(std::path::Path::new("."));
    crate::report::machine::describe(&args.folio, &args.pg_url, dir).await
}

pub fn write_results(out: &Path, args: &Args, env: &Value, runs: &[ProfileRun], started: &str) -> Result<(), Error> {
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
            // Seeded before this run (by an earlier one, or by scripts/bench's import step);
            // the read models may still have had to catch up.
            format!("data seeded before this run; `folio serve` ready in {ready:.1} s")
        } else {
            format!(
                "seeded in {:.0} s, then `folio serve` caught up in {ready:.0} s ({:.0} events/s, every projection)",
                run.seed["seconds"].as_f64().unwrap_or_default(),
                run.head as f64 / ready.max(0.001)
            )
        };
        let loaded_first = &run.seed["prewarm"];
        let prewarm = if loaded_first.is_null() {
            String::new()
        } else if let Some(why) = loaded_first["skipped"].as_str() {
            format!("; read models not loaded first ({why})")
        } else {
            format!(
                "; the read models' pages loaded first (`perf/sql/prewarm.sql`: {} relations, {} MB, {:.1} s)",
                loaded_first["relations"],
                loaded_first["megabytes"],
                loaded_first["seconds"].as_f64().unwrap_or_default()
            )
        };
        let _ =
            writeln!(md, "- {}: {} events; {loaded}{prewarm}; checks: {}.", run.profile, run.head, run.setup["checks"]);
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
                "pgbench": r.ceilings.iter().map(|c| (c.shape.clone(), json!({
                    "figures": c.figures.to_json(), "script": c.script, "cpu": c.cpu.to_json(), "attempts": c.attempts,
                    "clients": c.clients,
                    "tried": c.tried.iter().map(|(n, rate)| json!({"clients": n, "per_second": rate})).collect::<Vec<_>>(),
                }))).collect::<serde_json::Map<_, _>>(),
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
