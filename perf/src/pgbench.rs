//! Runs pgbench (PostgreSQL's own load generator) for a ceiling, reading per-transaction
//! latencies from its `--log` files into the same HDR histogram Folio's figures use.

use crate::measure::{histogram, Figures};
use query_api::sql::{Arg, Sql};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PgbenchError {
    #[error("cannot run pgbench (install postgresql-contrib): {0}")]
    Spawn(#[source] std::io::Error),
    #[error("pgbench failed: {0}")]
    Failed(String),
    #[error("cannot read pgbench's logs: {0}")]
    Logs(#[source] std::io::Error),
}

/// Runs `script` with `clients` connections for `seconds` against `url`.
pub fn run(url: &str, script: &str, clients: usize, seconds: u64, work_dir: &Path) -> Result<Figures, PgbenchError> {
    run_with_env(url, script, clients, seconds, work_dir, &[])
}

/// [`run`] with environment variables for pgbench (e.g. `PGOPTIONS=-c search_path=...`).
pub fn run_with_env(
    url: &str,
    script: &str,
    clients: usize,
    seconds: u64,
    work_dir: &Path,
    env: &[(&str, &str)],
) -> Result<Figures, PgbenchError> {
    let script_path = work_dir.join("script.sql");
    std::fs::write(&script_path, script).map_err(PgbenchError::Logs)?;
    for entry in std::fs::read_dir(work_dir).map_err(PgbenchError::Logs)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let threads = clients.min(2);
    let output = Command::new("pgbench")
        .current_dir(work_dir)
        .args(["--no-vacuum", "--protocol=prepared", "--log", "--log-prefix=pgbench_log"])
        .args(["--client", &clients.to_string(), "--jobs", &threads.to_string(), "--time", &seconds.to_string()])
        .arg("--file")
        .arg(&script_path)
        .arg(url)
        .envs(env.iter().copied())
        .output()
        .map_err(PgbenchError::Spawn)?;
    if !output.status.success() {
        // With many clients every one of them reports the same error: the first lines tell.
        let text = String::from_utf8_lossy(&output.stderr);
        return Err(PgbenchError::Failed(text.lines().take(6).collect::<Vec<_>>().join("\n")));
    }
    let mut latency = histogram();
    let mut operations = 0;
    let mut errors = 0;
    for entry in std::fs::read_dir(work_dir).map_err(PgbenchError::Logs)?.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).map_err(PgbenchError::Logs)?;
        // client_id transaction_no latency_us script_no epoch_s epoch_us
        for line in text.lines() {
            match line.split_whitespace().nth(2).and_then(|v| v.parse::<u64>().ok()) {
                Some(us) => {
                    let _ = latency.record(us.max(1));
                    operations += 1;
                }
                None => errors += 1,
            }
        }
    }
    Ok(Figures { operations, elapsed: Duration::from_secs(seconds), latency, errors })
}

/// Why a statement cannot become a pgbench script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("a text argument holds `:` (pgbench would read a variable in it): {0:?}")]
    Colon(String),
    #[error("the statement refers to ${0}, which has no argument")]
    Missing(usize),
}

/// A PostgreSQL statement of the query API ([`Sql`] with `$n` placeholders) as one pgbench
/// command: each argument equal to a key of `replace` becomes that SQL expression (which may use
/// pgbench `:variables`), every other argument an inline literal.
pub fn inline(sql: &Sql, replace: &[(Arg, String)]) -> Result<String, ScriptError> {
    let mut out = String::with_capacity(sql.text.len() + 256);
    let mut chars = sql.text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        let Ok(n) = digits.parse::<usize>() else {
            out.push('$');
            continue;
        };
        let arg = sql.args.get(n.wrapping_sub(1)).ok_or(ScriptError::Missing(n))?;
        match replace.iter().find(|(a, _)| a == arg) {
            Some((_, expression)) => {
                out.push('(');
                out.push_str(expression);
                out.push(')');
            }
            None => out.push_str(&literal(arg)?),
        }
    }
    out.push_str(";\n");
    Ok(out)
}

/// The query API's literal, refused for text with a `:` (pgbench would read `:name` as a variable).
fn literal(arg: &Arg) -> Result<String, ScriptError> {
    let texts: Vec<&String> = match arg {
        Arg::Text(t) => vec![t],
        Arg::TextArray(v) => v.iter().collect(),
        Arg::Uuid(_)
        | Arg::F64(_)
        | Arg::I64(_)
        | Arg::Time(_)
        | Arg::UuidArray(_)
        | Arg::F64Array(_)
        | Arg::I64Array(_)
        | Arg::TimeArray(_) => Vec::new(),
    };
    if let Some(text) = texts.into_iter().find(|t| t.contains(':')) {
        return Err(ScriptError::Colon(text.clone()));
    }
    Ok(query_api::sql::postgres_literal(arg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use query_api::sql::Dialect;

    #[test]
    fn inlines_literals_and_replaces_chosen_arguments() {
        let mut sql = Sql::new(Dialect::Postgres);
        for n in 1..=10 {
            sql.push(" a = ").bind(Arg::I64(n));
        }
        sql.push(" AND s = ").bind(Arg::Text("it's".into()));
        sql.push(" AND t = ").bind(Arg::Text("user".into()));
        sql.push(" AND x = ANY(").bind(Arg::TextArray(vec!["published".into()])).push(")");
        sql.push(" AND at < ").bind(Arg::Time(1_704_067_200_000_001));
        let script = inline(&sql, &[(Arg::Text("user".into()), "CAST(:u AS text)".into())]);
        let script = script.unwrap_or_default();
        assert!(script.contains(" a = 1 a = 2"), "{script}");
        assert!(script.contains(" a = 10 AND s = 'it''s'::text AND t = (CAST(:u AS text))"), "{script}");
        assert!(script.contains("ANY(ARRAY['published']::text[])"), "{script}");
        assert!(script.contains("to_timestamp(1704067200.000001)"), "{script}");
        assert!(script.ends_with(";\n"));
    }

    #[test]
    fn refuses_a_colon_in_text() {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("a = ").bind(Arg::Text("12:00".into()));
        assert!(inline(&sql, &[]).is_err());
    }
}
