//! The list query string, parsed: which filters, sort, page and shape were asked for. Pure and
//! independent of any content type; [`crate::plan`] checks the result against the type.
//!
//! Syntax (all parameters optional):
//! - `filter[<field>]=<v>` (equals) or `filter[<field>][<op>]=<v>`, op one of `eq`, `ne`, `in`
//!   (comma-separated values), `gt`, `gte`, `lt`, `lte`, `contains`, `exists` (`true`/`false`);
//! - `sort=<field>` ascending or `sort=-<field>` descending;
//! - `limit=1..100` (default 20); `after=<cursor>` from a previous page's `next`;
//! - `fields=a,b,c` to return only those members; `q=<words>` full-text search;
//! - `count=exact|estimate` to add the number of matching items.

use crate::error::BadInput;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Longest value any parameter may have; longer is refused before it reaches SQL.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;
/// Most values in one `in` list.
pub const MAX_IN_VALUES: usize = 100;
/// Most filters in one request.
pub const MAX_FILTERS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    Exists,
}

impl Op {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "in" => Self::In,
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "contains" => Self::Contains,
            "exists" => Self::Exists,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::In => "in",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Contains => "contains",
            Self::Exists => "exists",
        }
    }
}

/// One `filter[...]` parameter as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterParam {
    /// The parameter's name as sent, for error messages.
    pub param: String,
    pub field: String,
    pub op: Op,
    /// The raw value; `in` lists are split later, by the field's kind.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountMode {
    Exact,
    Estimate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortParam {
    pub field: String,
    pub descending: bool,
}

/// Everything a list request asked for, before it is checked against the content type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListParams {
    pub filters: Vec<FilterParam>,
    pub sort: Option<SortParam>,
    pub limit: u32,
    pub after: Option<String>,
    pub fields: Option<Vec<String>>,
    pub q: Option<String>,
    pub count: Option<CountMode>,
}

/// Splits a raw query string into decoded pairs.
pub fn pairs(query: &str) -> Result<Vec<(String, String)>, BadInput> {
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map_err(|e| BadInput::new("malformed_query", "query", format!("the query string is malformed: {e}")))?;
    for (name, value) in &pairs {
        checked(name, name)?;
        checked(name, value)?;
    }
    Ok(pairs)
}

/// Refuses text no database column can hold (NUL) or that is longer than any parameter may be.
pub fn checked<'a>(field: &str, text: &'a str) -> Result<&'a str, BadInput> {
    if text.contains('\0') {
        return Err(BadInput::new("invalid_character", field, "NUL characters are not allowed"));
    }
    if text.len() > MAX_VALUE_BYTES {
        return Err(BadInput::new("value_too_long", field, format!("at most {MAX_VALUE_BYTES} bytes")));
    }
    Ok(text)
}

/// Parses a list's query string. `extra` names parameters the caller handles itself (none
/// today); anything else unknown is an error, so a typo never silently widens a result.
pub fn parse_list(query: &str) -> Result<ListParams, BadInput> {
    let mut params = ListParams { limit: DEFAULT_LIMIT, ..ListParams::default() };
    let mut seen = std::collections::HashSet::new();
    for (name, value) in pairs(query)? {
        if !name.starts_with("filter[") && !seen.insert(name.clone()) {
            return Err(BadInput::new("duplicate_parameter", &name, "this parameter may be given once"));
        }
        match name.as_str() {
            "sort" => params.sort = Some(parse_sort(&value)?),
            "limit" => params.limit = parse_limit(&value)?,
            "after" => params.after = Some(value),
            "fields" => params.fields = Some(parse_fields(&value)?),
            "q" => params.q = Some(value),
            "count" => params.count = Some(parse_count(&value)?),
            _ if name.starts_with("filter") => params.filters.push(parse_filter(&name, value)?),
            _ => {
                return Err(BadInput::new(
                    "unknown_parameter",
                    &name,
                    "unknown parameter; lists take filter[..], sort, limit, after, fields, q and count",
                ))
            }
        }
    }
    if params.filters.len() > MAX_FILTERS {
        return Err(BadInput::new("too_many_filters", "filter", format!("at most {MAX_FILTERS} filters")));
    }
    Ok(params)
}

/// `filter[field]` or `filter[field][op]`.
fn parse_filter(name: &str, value: String) -> Result<FilterParam, BadInput> {
    let malformed =
        || BadInput::new("malformed_filter", name, "write filter[<field>]=<value> or filter[<field>][<op>]=<value>");
    let rest = name.strip_prefix("filter[").ok_or_else(malformed)?;
    let (field, rest) = rest.split_once(']').ok_or_else(malformed)?;
    if field.is_empty() {
        return Err(malformed());
    }
    let op = if rest.is_empty() {
        Op::Eq
    } else {
        let op = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')).ok_or_else(malformed)?;
        Op::parse(op).ok_or_else(|| {
            BadInput::new(
                "unknown_operator",
                name,
                format!("unknown operator `{op}`; use eq, ne, in, gt, gte, lt, lte, contains or exists"),
            )
        })?
    };
    Ok(FilterParam { param: name.to_owned(), field: field.to_owned(), op, value })
}

fn parse_sort(value: &str) -> Result<SortParam, BadInput> {
    let (field, descending) = match value.strip_prefix('-') {
        Some(field) => (field, true),
        None => (value.strip_prefix('+').unwrap_or(value), false),
    };
    if field.is_empty() {
        return Err(BadInput::new("malformed_sort", "sort", "write sort=<field> or sort=-<field>"));
    }
    Ok(SortParam { field: field.to_owned(), descending })
}

pub fn parse_limit(value: &str) -> Result<u32, BadInput> {
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(BadInput::new("invalid_limit", "limit", format!("limit is a whole number from 1 to {MAX_LIMIT}"))),
    }
}

fn parse_fields(value: &str) -> Result<Vec<String>, BadInput> {
    let fields: Vec<String> = value.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect();
    if fields.is_empty() {
        return Err(BadInput::new("malformed_fields", "fields", "list the members to return, comma-separated"));
    }
    Ok(fields)
}

fn parse_count(value: &str) -> Result<CountMode, BadInput> {
    match value {
        "exact" => Ok(CountMode::Exact),
        "estimate" => Ok(CountMode::Estimate),
        _ => Err(BadInput::new("invalid_count", "count", "count is `exact` or `estimate`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(query: &str) -> &'static str {
        parse_list(query).unwrap_err().code
    }

    #[test]
    fn reads_every_parameter() {
        let p = parse_list(
            "filter[tags]=t1&filter[rating][gte]=3&filter[section][in]=a,b&sort=-rating&limit=5&after=c&fields=id,title&q=rust&count=exact",
        )
        .unwrap();
        assert_eq!(p.filters.len(), 3);
        assert_eq!(
            p.filters[0],
            FilterParam { param: "filter[tags]".into(), field: "tags".into(), op: Op::Eq, value: "t1".into() }
        );
        assert_eq!(p.filters[1].op, Op::Gte);
        assert_eq!(p.filters[2].op, Op::In);
        assert_eq!(p.sort, Some(SortParam { field: "rating".into(), descending: true }));
        assert_eq!((p.limit, p.after.as_deref(), p.q.as_deref()), (5, Some("c"), Some("rust")));
        assert_eq!(p.fields, Some(vec!["id".to_owned(), "title".to_owned()]));
        assert_eq!(p.count, Some(CountMode::Exact));
    }

    #[test]
    fn defaults() {
        let p = parse_list("").unwrap();
        assert_eq!((p.limit, p.sort.clone(), p.filters.len()), (DEFAULT_LIMIT, None, 0));
    }

    #[test]
    fn each_kind_of_bad_input_has_its_code() {
        assert_eq!(code("limit=0"), "invalid_limit");
        assert_eq!(code("limit=101"), "invalid_limit");
        assert_eq!(code("limit=x"), "invalid_limit");
        assert_eq!(code("filter[a][like]=x"), "unknown_operator");
        assert_eq!(code("filter[]=x"), "malformed_filter");
        assert_eq!(code("filter[a]x=1"), "malformed_filter");
        assert_eq!(code("filter=1"), "malformed_filter");
        assert_eq!(code("sort=-"), "malformed_sort");
        assert_eq!(code("fields=,"), "malformed_fields");
        assert_eq!(code("count=some"), "invalid_count");
        assert_eq!(code("page=2"), "unknown_parameter");
        assert_eq!(code("limit=1&limit=2"), "duplicate_parameter");
        assert_eq!(code(&format!("q={}", "a".repeat(MAX_VALUE_BYTES + 1))), "value_too_long");
        let many: Vec<String> = (0..=MAX_FILTERS).map(|i| format!("filter[f{i}]=1")).collect();
        assert_eq!(code(&many.join("&")), "too_many_filters");
    }

    #[test]
    fn the_offending_parameter_is_named() {
        assert_eq!(parse_list("filter[a][like]=x").unwrap_err().field, "filter[a][like]");
    }
}
