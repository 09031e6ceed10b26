//! A list's filter conditions (`filter[field][op]=value`, already checked against the type by
//! [`crate::plan`]) as SQL predicates on `ci` (`content_items`): item columns compared directly,
//! field values and relations as `EXISTS` over `content_values` and `content_refs`, whose indexes
//! lead with the item id. Every value is bound.

use super::{Arg, Dialect, Sql};
use crate::plan::{Column, Condition, Operand};
use crate::request::params::Op;

fn arg_of(operand: &Operand) -> Arg {
    match operand {
        Operand::Uuid(u) => Arg::Uuid(*u),
        Operand::Text(t) => Arg::Text(t.clone()),
        Operand::Num(n) => Arg::F64(*n),
        Operand::Time(t) => Arg::Time(*t),
        Operand::Bool(b) => Arg::F64(if *b { 1.0 } else { 0.0 }),
    }
}

/// A datetime field's value is stored as a number (microseconds) in `content_values`.
fn value_arg(operand: &Operand) -> Arg {
    match operand {
        Operand::Time(t) => Arg::F64(*t as f64),
        Operand::Uuid(_) | Operand::Text(_) | Operand::Num(_) | Operand::Bool(_) => arg_of(operand),
    }
}

/// `%value%` for LIKE, lowercased, with LIKE's own characters escaped.
fn contains_pattern(value: &str) -> String {
    let mut pattern = String::with_capacity(value.len() + 2);
    pattern.push('%');
    for c in value.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn comparison(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Lt => "<",
        Op::Lte => "<=",
        Op::Ne => "<>",
        Op::Eq | Op::In | Op::Contains | Op::Exists => "=",
    }
}

/// Appends `condition` as one predicate (no leading `AND`).
pub(super) fn write_condition(sql: &mut Sql, condition: &Condition) {
    let first = condition.operands.first();
    let exists = matches!(first, Some(Operand::Bool(true)));
    match &condition.column {
        Column::Id | Column::Slug | Column::Time(_) => {
            let column = match &condition.column {
                Column::Id => "ci.id".to_owned(),
                Column::Slug if sql.dialect == Dialect::Postgres => "ci.slug COLLATE \"C\"".to_owned(),
                Column::Slug => "ci.slug".to_owned(),
                Column::Time(t) => format!("ci.{}", t.column()),
                Column::Value { .. } | Column::Relation { .. } => unreachable!(),
            };
            match condition.op {
                Op::Exists => {
                    sql.push(&column).push(if exists { " IS NOT NULL" } else { " IS NULL" });
                }
                Op::In => {
                    sql.bind_in(&column, condition.operands.iter().map(arg_of).collect());
                }
                Op::Contains => {
                    let text = if let Some(Operand::Text(t)) = first { t.as_str() } else { "" };
                    sql.push("lower(ci.slug) LIKE ").bind(Arg::Text(contains_pattern(text))).push(" ESCAPE '\\'");
                }
                Op::Ne => {
                    sql.push(&format!("({column} IS NULL OR {column} <> "));
                    first.map(|o| sql.bind(arg_of(o)));
                    sql.push(")");
                }
                Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                    sql.push(&format!("{column} {} ", comparison(condition.op)));
                    first.map(|o| sql.bind(arg_of(o)));
                }
            }
        }
        Column::Value { field, text } => {
            let value = if *text { "v.txt" } else { "v.num" };
            let negated = matches!(condition.op, Op::Ne) || (condition.op == Op::Exists && !exists);
            sql.push(if negated { "NOT EXISTS" } else { "EXISTS" });
            sql.push(" (SELECT 1 FROM content_values v WHERE v.item_id = ci.id AND v.field = ")
                .bind(Arg::Text(field.clone()))
                .push(" AND ");
            match condition.op {
                Op::Exists => {
                    sql.push(value).push(" IS NOT NULL");
                }
                Op::In => {
                    sql.bind_in(value, condition.operands.iter().map(value_arg).collect());
                }
                Op::Contains => {
                    let t = if let Some(Operand::Text(t)) = first { t.as_str() } else { "" };
                    sql.push("lower(v.txt) LIKE ").bind(Arg::Text(contains_pattern(t))).push(" ESCAPE '\\'");
                }
                Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                    let op = if condition.op == Op::Ne { "=" } else { comparison(condition.op) };
                    sql.push(&format!("{value} {op} "));
                    first.map(|o| sql.bind(value_arg(o)));
                }
            }
            sql.push(")");
        }
        Column::Relation { field } => {
            let negated = matches!(condition.op, Op::Ne) || (condition.op == Op::Exists && !exists);
            sql.push(if negated { "NOT EXISTS" } else { "EXISTS" });
            sql.push(" (SELECT 1 FROM content_refs r WHERE r.item_id = ci.id AND r.field = ")
                .bind(Arg::Text(field.clone()));
            match condition.op {
                Op::Exists => {}
                Op::In => {
                    sql.push(" AND ");
                    sql.bind_in("r.target", condition.operands.iter().map(arg_of).collect());
                }
                Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Contains => {
                    sql.push(" AND r.target = ");
                    first.map(|o| sql.bind(arg_of(o)));
                }
            }
            sql.push(")");
        }
    }
}
