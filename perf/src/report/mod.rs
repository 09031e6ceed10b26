//! `bench-report`: turns one `scripts/bench` results folder into `summary.json` (every row, every
//! raw figure, the machine and the versions) and the generated section of `perf/RESULTS.md`,
//! with the previous run of the same mode beside each figure so a regression shows.

pub mod machine;
pub mod rows;

use rows::{Row, Verdict};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The newest other results folder of `mode` (`<stamp>-<mode>`, with a summary.json) before `dir`.
pub fn previous(dir: &Path, mode: &str) -> Option<PathBuf> {
    let parent = dir.parent()?;
    let own = dir.file_name()?.to_string_lossy().into_owned();
    let mut found: Vec<String> = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(&format!("-{mode}")) && *n < own && parent.join(n).join("summary.json").exists())
        .collect();
    found.sort();
    found.pop().map(|n| parent.join(n))
}

/// Each row's headline figure in an earlier summary, by key.
pub fn figures_of(summary: &Value) -> HashMap<String, f64> {
    summary["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["key"].as_str()?.to_owned(), r["folio"].as_f64()?)))
        .collect()
}

/// A figure in its unit: `12,345/s`, `3.2 ms`, `4.50 min`, `1.25×`.
pub fn number(value: f64, unit: &str) -> String {
    match unit {
        "/s" => {
            let n = value.round() as i64;
            let digits = n.abs().to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{}{out}/s", if n < 0 { "-" } else { "" })
        }
        "ms" => format!("{value:.1} ms"),
        "min" => format!("{value:.2} min"),
        _ => format!("{value:.2}×"),
    }
}

/// The markdown table of `rows`, with `previous` figures (same keys) beside them.
pub fn table(rows: &[Row], previous: &HashMap<String, f64>, previous_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| workload | profile | Folio | p50 / p95 / p99 / max ms | errors | ceiling (same run) | ceiling | Folio ÷ ceiling | target | met | previous run{} |",
        if previous_name.is_empty() { String::new() } else { format!(" ({previous_name})") }
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---|---:|---:|---|---|---:|");
    for r in rows {
        let folio = r.folio.map_or_else(|| "—".to_owned(), |v| format!("**{}**", number(v, r.unit)));
        let latency =
            r.latency.map_or(String::new(), |l| format!("{:.1} / {:.1} / {:.1} / {:.0}", l[0], l[1], l[2], l[3]));
        let errors = r.errors.map_or(String::new(), |e| e.to_string());
        let ceiling = r.ceiling.map_or(String::new(), |c| number(c, "/s"));
        let ratio = r.ratio().map_or(String::new(), |x| format!("{x:.2}"));
        let prev = match (previous.get(&r.key), r.folio) {
            (Some(p), Some(now)) if *p != 0.0 => format!("{} ({:+.0}%)", number(*p, r.unit), (now / p - 1.0) * 100.0),
            (Some(p), _) => number(*p, r.unit),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {folio} | {latency} | {errors} | {} | {ceiling} | {ratio} | {} | {} | {prev} |",
            r.workload,
            r.profile,
            r.ceiling_name,
            r.target,
            r.verdict.text()
        );
    }
    out
}

/// Mean and largest CPU (cores) that other processes used in the query benchmark's windows:
/// how quiet the machine was.
pub fn others(query: &Value) -> Option<(f64, f64)> {
    let mut seen = Vec::new();
    for profile in query["profiles"].as_array().into_iter().flatten() {
        for run in profile["runs"].as_array().into_iter().flatten() {
            for figures in run["workloads"].as_object().into_iter().flat_map(|w| w.values()) {
                seen.extend(figures["cpu"]["other_processes_cores"].as_f64());
            }
        }
    }
    let max = seen.iter().copied().fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))?;
    Some((seen.iter().sum::<f64>() / seen.len() as f64, max))
}

/// Counts of met / missed / not measured targets.
pub fn tally(rows: &[Row]) -> (usize, usize, usize) {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    (count(Verdict::Met), count(Verdict::Missed), count(Verdict::NotMeasured))
}

/// The summary document written beside the raw files.
pub fn summary(mode: &str, dir: &Path, rows: &[Row], raw: Value, machine: Value, steps: Value) -> Value {
    let (met, missed, not_measured) = tally(rows);
    json!({
        "mode": mode,
        "folder": dir.display().to_string(),
        "machine": machine,
        "steps": steps,
        "targets": {"met": met, "missed": missed, "not_measured": not_measured},
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
        "raw": raw,
    })
}

/// `steps.tsv` (step, seconds, status) as JSON.
pub fn steps(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("steps.tsv")).unwrap_or_default();
    Value::Array(
        text.lines()
            .skip(1)
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let (step, seconds, status) = (parts.next()?, parts.next()?, parts.next()?);
                Some(json!({"step": step, "seconds": seconds.parse::<f64>().ok(), "status": status}))
            })
            .collect(),
    )
}

fn markers(mode: &str) -> (String, String) {
    (
        format!("<!-- scripts/bench {mode}: begin (generated; edits here are overwritten) -->"),
        format!("<!-- scripts/bench {mode}: end -->"),
    )
}

/// Replaces (or inserts, before the first `## ` heading) the generated section of `mode` in
/// the text of RESULTS.md; the hand-written sections stay as they are.
pub fn splice(results: &str, mode: &str, section: &str) -> String {
    let (begin, end) = markers(mode);
    let block = format!("{begin}\n{}\n{end}", section.trim_end());
    if let (Some(b), Some(e)) = (results.find(&begin), results.find(&end)) {
        if b < e {
            return format!("{}{block}{}", &results[..b], &results[e + end.len()..]);
        }
    }
    // The full run's section first, then the quick one, both above the hand-written analysis.
    let anchor = match mode {
        "full" => results.find(&markers("quick").0).or_else(|| results.find("\n## ").map(|i| i + 1)),
        _ => results
            .find(&markers("full").1)
            .map(|i| i + markers("full").1.len() + 1)
            .or_else(|| results.find("\n## ").map(|i| i + 1)),
    };
    match anchor {
        Some(i) => format!("{}{block}\n\n{}", &results[..i], results[i..].trim_start_matches('\n')),
        None => format!("{results}\n{block}\n"),
    }
}
