//! SQL text with its arguments, for either read-model backend. Every value goes through
//! [`Sql::bind`]: the text holds only placeholders, identifiers are fixed strings of this crate.

pub mod batch;
mod conditions;
pub mod list;
pub mod lookups;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// A bound value. Times are microseconds since the epoch: a `timestamptz` on PostgreSQL, an
/// INTEGER on SQLite.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Uuid(Uuid),
    F64(f64),
    I64(i64),
    Time(i64),
    /// PostgreSQL only (SQLite lists are expanded into one placeholder per value).
    UuidArray(Vec<Uuid>),
    TextArray(Vec<String>),
    F64Array(Vec<f64>),
    I64Array(Vec<i64>),
    TimeArray(Vec<i64>),
}

/// How PostgreSQL may plan a statement that runs again and again (SQLite plans at prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Planning {
    /// PostgreSQL's default: a plan for each execution's values whenever it judges one cheaper.
    /// For statements whose best plan depends on how selective the values are: filters,
    /// search, counts (an estimated count reads the plan's row estimate).
    #[default]
    PerValues,
    /// One plan for every execution. For statements that walk one index range whatever the
    /// values: planning them for each execution's values cost more CPU than running them, and
    /// PostgreSQL keeps doing it when the values make a custom plan look cheaper (the newest
    /// page of the most common type always does), so it is told not to.
    Generic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub args: Vec<Arg>,
    pub planning: Planning,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Self {
        Self { dialect, text: String::with_capacity(512), args: Vec::new(), planning: Planning::PerValues }
    }

    /// Marks the statement as one whose plan does not depend on its values ([`Planning::Generic`]).
    pub fn plan_once(&mut self) -> &mut Self {
        self.planning = Planning::Generic;
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Writes a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        match self.dialect {
            Dialect::Postgres => {
                let n = self.args.len();
                self.text.push('$');
                self.text.push_str(&n.to_string());
            }
            Dialect::Sqlite => self.text.push('?'),
        }
        self
    }

    /// `<expr> IN (values)`: one array parameter on PostgreSQL, one placeholder each on SQLite.
    pub fn bind_in(&mut self, expr: &str, values: Vec<Arg>) -> &mut Self {
        self.push(expr);
        match self.dialect {
            Dialect::Postgres => {
                self.push(" = ANY(");
                self.bind(array_of(values));
                self.push(")")
            }
            Dialect::Sqlite => {
                self.push(" IN (");
                for (i, value) in values.into_iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(value);
                }
                self.push(")")
            }
        }
    }

    /// ` LIMIT n` with `n` written into the text. A limit is a number this crate computed (never
    /// client text); as a literal the planner sees how few rows are wanted, also in a generic plan
    /// (with `LIMIT $n` it assumes a large limit). Whether PostgreSQL plans a statement once is
    /// decided by [`Planning`], not by the literal: left to itself it kept re-planning list20.
    pub fn limit(&mut self, n: u32) -> &mut Self {
        self.push(" LIMIT ");
        self.text.push_str(&n.to_string());
        self
    }

    /// A time: `timestamptz` on PostgreSQL, microseconds on SQLite.
    pub fn bind_time(&mut self, micros: i64) -> &mut Self {
        self.bind(Arg::Time(micros))
    }
}

/// Values of one kind as one PostgreSQL array (mixed kinds never occur: a filter's operands
/// all come from one field; a gathered statement's values of one place have its kind).
fn array_of(values: Vec<Arg>) -> Arg {
    match values.first() {
        Some(Arg::I64(_)) => {
            Arg::I64Array(values.into_iter().filter_map(|v| if let Arg::I64(i) = v { Some(i) } else { None }).collect())
        }
        Some(Arg::Uuid(_)) => Arg::UuidArray(
            values.into_iter().filter_map(|v| if let Arg::Uuid(u) = v { Some(u) } else { None }).collect(),
        ),
        Some(Arg::F64(_)) => {
            Arg::F64Array(values.into_iter().filter_map(|v| if let Arg::F64(f) = v { Some(f) } else { None }).collect())
        }
        Some(Arg::Time(_)) => Arg::TimeArray(
            values.into_iter().filter_map(|v| if let Arg::Time(t) = v { Some(t) } else { None }).collect(),
        ),
        _ => Arg::TextArray(
            values.into_iter().filter_map(|v| if let Arg::Text(t) = v { Some(t) } else { None }).collect(),
        ),
    }
}

/// `arg` as a PostgreSQL literal of its type, for statements that cannot take parameters
/// (`EXPLAIN EXECUTE`, pgbench scripts). Text is quoted with `'` doubled (PostgreSQL's
/// standard-conforming strings); times are `to_timestamp(seconds.micros)`, which has no `:`.
pub fn postgres_literal(arg: &Arg) -> String {
    let text = |t: &str| format!("'{}'", t.replace('\'', "''"));
    let time =
        |micros: i64| format!("to_timestamp({}.{:06})", micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let list = |items: Vec<String>, ty: &str| format!("ARRAY[{}]::{ty}[]", items.join(", "));
    match arg {
        Arg::Text(t) => format!("{}::text", text(t)),
        Arg::Uuid(u) => format!("'{u}'::uuid"),
        Arg::F64(f) => format!("{f:?}::float8"),
        Arg::I64(i) => i.to_string(),
        Arg::Time(t) => time(*t),
        Arg::UuidArray(v) => list(v.iter().map(|u| format!("'{u}'")).collect(), "uuid"),
        Arg::TextArray(v) => list(v.iter().map(|t| text(t)).collect(), "text"),
        Arg::F64Array(v) => list(v.iter().map(|f| format!("{f:?}")).collect(), "float8"),
        Arg::I64Array(v) => list(v.iter().map(i64::to_string).collect(), "int8"),
        Arg::TimeArray(v) => list(v.iter().map(|t| time(*t)).collect(), "timestamptz"),
    }
}
