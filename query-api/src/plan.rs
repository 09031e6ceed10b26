//! A list request checked against its content type: which column each filter reads, typed
//! operands, the sort key and whether it can be NULL, and the scope a cursor is bound to. Pure.

use crate::error::BadInput;
use crate::request::cursor::Cursor;
use crate::request::params::{CountMode, ListParams, Op, MAX_IN_VALUES};
use crate::request::search;
use events::schema::{FieldKind, TypeDefinition};
use uuid::Uuid;

/// Who is asking: editors (admin and editor keys) see drafts and scheduled items too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Public,
    Editor,
}

pub const STATUSES: [&str; 4] = ["draft", "scheduled", "published", "archived"];

/// A timestamp column of `content_items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    Published,
    Created,
    Updated,
}

impl TimeColumn {
    pub fn column(self) -> &'static str {
        match self {
            Self::Published => "published_at",
            Self::Created => "created_at",
            Self::Updated => "updated_at",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "published_at" => Self::Published,
            "created_at" => Self::Created,
            "updated_at" => Self::Updated,
            _ => return None,
        })
    }
}

/// What a filter reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Id,
    Slug,
    Time(TimeColumn),
    /// A scalar field's row in `content_values`: its `txt` or its `num`.
    Value {
        field: String,
        text: bool,
    },
    /// A reference field's rows in `content_refs` (tree ancestors included).
    Relation {
        field: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Uuid(Uuid),
    Text(String),
    Num(f64),
    /// Microseconds since the epoch.
    Time(i64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: Column,
    pub op: Op,
    /// One operand, or several for `in`; `exists` holds a Bool.
    pub operands: Vec<Operand>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Time(TimeColumn),
    Value {
        field: String,
        text: bool,
    },
    /// Search relevance (only with `q`).
    Rank,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
    /// Whether some matching row may lack the key (NULL sorts lowest).
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListPlan {
    pub type_name: String,
    /// Statuses shown, in a fixed order.
    pub statuses: Vec<&'static str>,
    pub conditions: Vec<Condition>,
    pub sort: Sort,
    /// Search words (all must match).
    pub search: Option<Vec<String>>,
    pub limit: u32,
    pub fields: Option<Vec<String>>,
    /// Whether entries are cards (documents without the type's unlisted fields): always, unless
    /// `fields=` names an unlisted field.
    pub cards: bool,
    pub count: Option<CountMode>,
    /// Everything that decides which rows come in which order: what a cursor is bound to.
    pub scope: String,
}

/// Members every document has, besides its type's fields and the counters.
pub const DOCUMENT_MEMBERS: [&str; 11] = [
    "id",
    "type",
    "slug",
    "status",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    "publish_at",
    "archived_at",
    "path",
];
pub const COUNTERS: [&str; 5] = ["views", "likes", "shares", "bookmarks", "comments"];

/// Checks `params` against the type and the audience.
pub fn plan(
    type_name: &str,
    definition: &TypeDefinition,
    audience: Audience,
    params: &ListParams,
) -> Result<ListPlan, BadInput> {
    let mut statuses: Vec<&'static str> = match audience {
        Audience::Public => vec!["published"],
        Audience::Editor => vec!["draft", "scheduled", "published"],
    };
    let mut conditions = Vec::new();
    for filter in &params.filters {
        if filter.field == "status" {
            statuses = status_filter(audience, statuses, filter)?;
            continue;
        }
        conditions.push(condition(definition, filter)?);
    }
    let search = params.q.as_deref().map(search::words).transpose()?;
    let sort = sort(definition, params, &statuses, search.is_some())?;
    if let Some(fields) = &params.fields {
        for name in fields {
            let known = DOCUMENT_MEMBERS.contains(&name.as_str())
                || COUNTERS.contains(&name.as_str())
                || definition.fields.iter().any(|f| f.name.as_str() == name);
            if !known {
                return Err(BadInput::new("unknown_field", "fields", format!("`{name}` is not a member of this type")));
            }
        }
    }
    let cards = params
        .fields
        .as_ref()
        .is_none_or(|names| !definition.fields.iter().any(|f| !f.listed && names.iter().any(|n| n == f.name.as_str())));
    let scope = format!("{type_name}|{audience:?}|{statuses:?}|{conditions:?}|{sort:?}|{search:?}");
    Ok(ListPlan {
        type_name: type_name.to_owned(),
        statuses,
        conditions,
        sort,
        search,
        limit: params.limit,
        fields: params.fields.clone(),
        cards,
        count: params.count,
        scope,
    })
}

impl ListPlan {
    /// Whether the response shows member `name` of each entry: every member without `fields=`.
    pub fn shows(&self, name: &str) -> bool {
        self.fields.as_ref().is_none_or(|fields| fields.iter().any(|f| f == name))
    }
}

/// The statuses a `filter[status]` leaves, within what the audience may see.
fn status_filter(
    audience: Audience,
    current: Vec<&'static str>,
    filter: &crate::request::params::FilterParam,
) -> Result<Vec<&'static str>, BadInput> {
    let named = |v: &str| {
        STATUSES.iter().copied().find(|s| *s == v).ok_or_else(|| {
            BadInput::new("invalid_value", &filter.param, "a status is draft, scheduled, published or archived")
        })
    };
    let visible = |s: &&str| audience == Audience::Editor || *s == "published";
    let chosen: Vec<&'static str> = match filter.op {
        Op::Eq => vec![named(&filter.value)?],
        Op::In => filter.value.split(',').map(named).collect::<Result<_, _>>()?,
        Op::Ne => {
            let excluded = named(&filter.value)?;
            return Ok(current.into_iter().filter(|s| *s != excluded).collect());
        }
        Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Contains | Op::Exists => {
            return Err(unsupported(&filter.param, filter.op, "status"))
        }
    };
    Ok(STATUSES.iter().copied().filter(|s| chosen.contains(s)).filter(visible).collect())
}

fn unsupported(param: &str, op: Op, what: &str) -> BadInput {
    BadInput::new("unsupported_operator", param, format!("`{}` does not apply to {what}", op.name()))
}

fn condition(definition: &TypeDefinition, filter: &crate::request::params::FilterParam) -> Result<Condition, BadInput> {
    let param = filter.param.as_str();
    let (column, kind) = match filter.field.as_str() {
        "id" => (Column::Id, Kind::Uuid),
        "slug" => (Column::Slug, Kind::Text),
        name => match TimeColumn::parse(name) {
            Some(time) => (Column::Time(time), Kind::Time),
            None => {
                let field =
                    definition.fields.iter().find(|f| f.name.as_str() == name).ok_or_else(|| {
                        BadInput::new("unknown_field", param, format!("this type has no field `{name}`"))
                    })?;
                if !field.filterable {
                    return Err(BadInput::new("not_filterable", param, format!("`{name}` is not filterable")));
                }
                column_of(name, &field.kind, param)?
            }
        },
    };
    let allowed = match kind {
        Kind::Uuid => matches!(filter.op, Op::Eq | Op::Ne | Op::In | Op::Exists),
        Kind::Text | Kind::Enum(_) => true,
        Kind::Num { .. } | Kind::Time | Kind::Bool => !matches!(filter.op, Op::Contains),
    } && !(matches!(column, Column::Id | Column::Slug) && filter.op == Op::Exists);
    if !allowed {
        return Err(unsupported(param, filter.op, &format!("`{}`", filter.field)));
    }
    let operands = match filter.op {
        Op::Exists => vec![Operand::Bool(parse_bool(&filter.value, param)?)],
        Op::In => {
            let values: Vec<&str> = filter.value.split(',').collect();
            if values.len() > MAX_IN_VALUES {
                return Err(BadInput::new("too_many_values", param, format!("at most {MAX_IN_VALUES} values")));
            }
            values.into_iter().map(|v| operand(&kind, v, param)).collect::<Result<_, _>>()?
        }
        Op::Contains => vec![Operand::Text(filter.value.clone())],
        Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte => vec![operand(&kind, &filter.value, param)?],
    };
    Ok(Condition { column, op: filter.op, operands })
}

/// How a filter's value is read.
#[derive(Debug, Clone)]
enum Kind {
    Uuid,
    Text,
    Enum(Vec<String>),
    Num { integer: bool },
    Time,
    Bool,
}

fn column_of(name: &str, kind: &FieldKind, param: &str) -> Result<(Column, Kind), BadInput> {
    let value = |text: bool| Column::Value { field: name.to_owned(), text };
    Ok(match kind {
        FieldKind::String { .. } => (value(true), Kind::Text),
        FieldKind::Enum { values } => (value(true), Kind::Enum(values.clone())),
        FieldKind::Integer => (value(false), Kind::Num { integer: true }),
        FieldKind::Number => (value(false), Kind::Num { integer: false }),
        FieldKind::Boolean => (value(false), Kind::Bool),
        FieldKind::Datetime => (value(false), Kind::Time),
        FieldKind::Reference { .. } | FieldKind::References { .. } | FieldKind::Parent => {
            (Column::Relation { field: name.to_owned() }, Kind::Uuid)
        }
        FieldKind::Text { .. } | FieldKind::RichText { .. } | FieldKind::Json | FieldKind::Media => {
            return Err(BadInput::new("not_filterable", param, format!("`{name}` is not filterable")))
        }
    })
}

fn parse_bool(value: &str, param: &str) -> Result<bool, BadInput> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(BadInput::new("invalid_value", param, "expected true or false")),
    }
}

fn operand(kind: &Kind, value: &str, param: &str) -> Result<Operand, BadInput> {
    let invalid = |what: &str| BadInput::new("invalid_value", param, format!("expected {what}"));
    Ok(match kind {
        Kind::Uuid => Operand::Uuid(Uuid::try_parse(value).map_err(|_| invalid("an id (UUID)"))?),
        Kind::Text => Operand::Text(value.to_owned()),
        Kind::Enum(values) => {
            if !values.iter().any(|v| v == value) {
                return Err(invalid(&format!("one of {}", values.join(", "))));
            }
            Operand::Text(value.to_owned())
        }
        Kind::Num { integer: true } => Operand::Num(value.parse::<i64>().map_err(|_| invalid("an integer"))? as f64),
        Kind::Num { integer: false } => {
            Operand::Num(value.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| invalid("a number"))?)
        }
        Kind::Time => Operand::Time(
            chrono::DateTime::parse_from_rfc3339(value)
                .map_err(|_| invalid("an RFC 3339 time, e.g. 2024-01-31T12:00:00Z"))?
                .timestamp_micros(),
        ),
        Kind::Bool => Operand::Num(if parse_bool(value, param)? { 1.0 } else { 0.0 }),
    })
}

fn sort(
    definition: &TypeDefinition,
    params: &ListParams,
    statuses: &[&str],
    searching: bool,
) -> Result<Sort, BadInput> {
    let Some(asked) = &params.sort else {
        return Ok(if searching {
            Sort { key: SortKey::Rank, descending: true, nullable: false }
        } else {
            let nullable = statuses != ["published"];
            Sort { key: SortKey::Time(TimeColumn::Published), descending: true, nullable }
        });
    };
    let name = asked.field.as_str();
    if let Some(time) = TimeColumn::parse(name) {
        let nullable = time == TimeColumn::Published && statuses != ["published"];
        return Ok(Sort { key: SortKey::Time(time), descending: asked.descending, nullable });
    }
    if name == "relevance" && searching {
        return Ok(Sort { key: SortKey::Rank, descending: true, nullable: false });
    }
    let field = definition
        .fields
        .iter()
        .find(|f| f.name.as_str() == name)
        .ok_or_else(|| BadInput::new("unknown_field", "sort", format!("this type has no field `{name}`")))?;
    if !field.sortable {
        return Err(BadInput::new("not_sortable", "sort", format!("`{name}` is not sortable")));
    }
    let text = matches!(field.kind, FieldKind::String { .. } | FieldKind::Enum { .. });
    Ok(Sort { key: SortKey::Value { field: name.to_owned(), text }, descending: asked.descending, nullable: true })
}

/// The sort key of a cursor must have the kind this plan's key produces.
pub fn check_cursor(plan: &ListPlan, cursor: &Cursor) -> Result<(), BadInput> {
    use crate::request::cursor::KeyValue;
    let fits = match (&plan.sort.key, &cursor.key) {
        (_, KeyValue::Null) => plan.sort.nullable,
        (SortKey::Time(_), KeyValue::Int(_)) | (SortKey::Rank, KeyValue::Num(_)) => true,
        (SortKey::Value { text: true, .. }, KeyValue::Text(_)) => true,
        (SortKey::Value { text: false, .. }, KeyValue::Num(_)) => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(BadInput::new("invalid_cursor", "after", "the cursor does not fit this query"))
    }
}
