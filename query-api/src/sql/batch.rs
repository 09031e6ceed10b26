//! One PostgreSQL statement for several concurrent executions of another ("members" of a
//! batch): the values that differ between the members go in as arrays, `unnest`ed into one row
//! per distinct member, and the statement runs once per such row as a `LATERAL` subquery. The
//! server then parses, binds, snapshots and answers once instead of once per member. The idea is
//! Hasura's "multiplexed" live queries (hasura.io/blog, "Fast GraphQL subscriptions").
//!
//! Rules:
//! - Column 0 of every row is the 1-based index of the member whose execution produced it
//!   ([`MEMBER`], `bigint`); the template's columns follow in their order.
//! - Within one member the rows come in the template's own order: the subquery is fenced with
//!   `OFFSET 0`, so PostgreSQL cannot pull it up into the outer query and must run it as written
//!   for each member row of a nested loop.
//! - An argument equal in every member stays one plain parameter (so a planner sees the same
//!   thing it sees in the template: `status = ANY($3)`, a shared `LIMIT`). Members with equal
//!   arguments throughout are the caller's to merge ([`distinct`]): each row would otherwise be
//!   read once per copy.
//! - An array argument that differs between members goes in as a text array of PostgreSQL
//!   array literals and is cast back to its type in the subquery (`unnest` cannot yield arrays).

use super::{Arg, Dialect, Sql};
use chrono::DateTime;
use std::fmt::Write;

/// Name of the column that says which member a row belongs to.
pub const MEMBER: &str = "folio_member";

/// Indexes of `members` with pairwise different arguments (the first of equal ones), and for
/// each member the position of its representative in that list.
pub fn distinct(members: &[&[Arg]]) -> (Vec<usize>, Vec<usize>) {
    let mut representatives: Vec<usize> = Vec::new();
    let mut of_member = Vec::with_capacity(members.len());
    for (i, args) in members.iter().enumerate() {
        let found = representatives.iter().position(|&r| members[r] == *args);
        of_member.push(found.unwrap_or_else(|| {
            representatives.push(i);
            representatives.len() - 1
        }));
    }
    (representatives, of_member)
}

/// The statement that runs `template` for each of `members` (argument lists of `template`'s
/// kinds, in that order; at least one). PostgreSQL only: SQLite runs in process, with no round
/// trip to save.
pub fn batched(template: &Sql, members: &[&[Arg]]) -> Sql {
    debug_assert_eq!(template.dialect, Dialect::Postgres);
    let width = template.args.len();
    let varies: Vec<bool> = (0..width).map(|i| members.iter().any(|m| m.get(i) != members[0].get(i))).collect();
    let mut sql = Sql::new(Dialect::Postgres);
    sql.planning = template.planning;
    // What each template placeholder becomes, by its number minus one.
    let mut replacement = Vec::with_capacity(width);
    let mut columns = Vec::new();
    sql.push(&format!("SELECT b.{MEMBER}, q.* FROM unnest("));
    for (i, varying) in varies.iter().enumerate() {
        let first = &members[0][i];
        if !varying {
            replacement.push(String::new());
            continue;
        }
        let column = format!("a{}", i + 1);
        let (array, element, cast) = column_of(first, members.iter().map(|m| &m[i]));
        if !columns.is_empty() {
            sql.push(", ");
        }
        sql.bind(array).push(&format!("::{element}[]"));
        replacement.push(match cast {
            Some(ty) => format!("b.{column}::{ty}"),
            None => format!("b.{column}"),
        });
        columns.push(column);
    }
    if columns.is_empty() {
        // Every argument is shared: one member row, so the shape of the statement stays the same.
        sql.push("ARRAY[1]::int[]");
        columns.push("one".to_owned());
    }
    sql.push(&format!(") WITH ORDINALITY AS b({}, {MEMBER}) CROSS JOIN LATERAL (", columns.join(", ")));
    // Shared arguments keep their values as parameters numbered after the arrays.
    for (i, varying) in varies.iter().enumerate() {
        if !varying {
            let n = sql.args.len() + 1;
            sql.args.push(members[0][i].clone());
            replacement[i] = format!("${n}");
        }
    }
    substitute(&mut sql.text, &template.text, &replacement);
    sql.push(" OFFSET 0) AS q");
    sql
}

/// Copies `text` into `out` with each placeholder `$n` replaced by `replacement[n - 1]`.
fn substitute(out: &mut String, text: &str, replacement: &[String]) {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let number: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
        match number.and_then(|n| n.checked_sub(1)).and_then(|i| replacement.get(i)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
}

/// The array argument holding every member's value of one position, the element type it is cast
/// to in `unnest`, and the type an array value is cast back to in the subquery.
fn column_of<'a>(first: &Arg, values: impl Iterator<Item = &'a Arg>) -> (Arg, &'static str, Option<&'static str>) {
    let values: Vec<&Arg> = values.collect();
    let scalars = || super::array_of(values.iter().map(|v| (*v).clone()).collect());
    match first {
        Arg::Text(_) => (scalars(), "text", None),
        Arg::Uuid(_) => (scalars(), "uuid", None),
        Arg::F64(_) => (scalars(), "float8", None),
        Arg::I64(_) => (scalars(), "int8", None),
        Arg::Time(_) => (scalars(), "timestamptz", None),
        Arg::UuidArray(_) => (literals(&values), "text", Some("uuid[]")),
        Arg::TextArray(_) => (literals(&values), "text", Some("text[]")),
        Arg::F64Array(_) => (literals(&values), "text", Some("float8[]")),
        Arg::I64Array(_) => (literals(&values), "text", Some("int8[]")),
        Arg::TimeArray(_) => (literals(&values), "text", Some("timestamptz[]")),
    }
}

fn literals(values: &[&Arg]) -> Arg {
    Arg::TextArray(values.iter().map(|v| array_literal(v)).collect())
}

/// An array argument as PostgreSQL's text form of an array (`{"a","b"}`): every element
/// double-quoted, `"` and `\` escaped with `\`. A scalar is written as a one-element array (never
/// asked for: scalars are not cast back).
pub fn array_literal(arg: &Arg) -> String {
    let mut out = String::from("{");
    let element = |out: &mut String, text: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        out.push('"');
        for c in text.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    };
    match arg {
        Arg::UuidArray(v) => v.iter().for_each(|u| element(&mut out, &u.to_string())),
        Arg::TextArray(v) => v.iter().for_each(|t| element(&mut out, t)),
        Arg::F64Array(v) => v.iter().for_each(|f| element(&mut out, &float_text(*f))),
        Arg::I64Array(v) => v.iter().for_each(|i| element(&mut out, &i.to_string())),
        Arg::TimeArray(v) => v.iter().for_each(|t| element(&mut out, &time_text(*t))),
        Arg::Text(t) => element(&mut out, t),
        Arg::Uuid(u) => element(&mut out, &u.to_string()),
        Arg::F64(f) => element(&mut out, &float_text(*f)),
        Arg::I64(i) | Arg::Time(i) => element(&mut out, &i.to_string()),
    }
    out.push('}');
    out
}

/// A float as PostgreSQL reads it back exactly (Rust's shortest round-trip form; its spellings
/// of the infinities differ).
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        format!("{f:?}")
    }
}

/// Microseconds since the epoch as a `timestamptz` literal in UTC, as PostgreSQL reads one: the
/// year unsigned, with ` BC` for years before 1 (year 0 is 1 BC), however many digits it has.
fn time_text(micros: i64) -> String {
    use chrono::Datelike;
    let mut out = String::new();
    match DateTime::from_timestamp_micros(micros) {
        Some(t) => {
            let year = t.year();
            let shown = if year <= 0 { 1 - year } else { year };
            let _ = write!(out, "{shown:04}-{}", t.format("%m-%d %H:%M:%S%.6f+00"));
            if year <= 0 {
                out.push_str(" BC");
            }
        }
        None => out.push_str(if micros < 0 { "-infinity" } else { "infinity" }),
    }
    out
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
