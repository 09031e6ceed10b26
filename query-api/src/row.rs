//! One row of a read-model statement, whichever backend it came from, decoded into
//! backend-neutral values: ids as [`Uuid`], times as microseconds, booleans as `bool`.

use crate::error::QueryError;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Row, TypeInfo};
use std::sync::Arc;
use uuid::Uuid;

/// One row, whichever backend it came from.
pub enum AnyRow {
    /// Shared by the reads that asked the same ([`crate::gather`]); its own columns start at
    /// `skip`.
    Postgres {
        row: Arc<PgRow>,
        skip: usize,
    },
    Sqlite(SqliteRow),
}

impl std::fmt::Debug for AnyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgres { .. } => "AnyRow::Postgres",
            Self::Sqlite(_) => "AnyRow::Sqlite",
        })
    }
}

impl AnyRow {
    /// Column `i` as a type both backends decode alike (on PostgreSQL, past the `skip` columns).
    fn get<'r, T>(&'r self, i: usize) -> Result<T, QueryError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        Ok(match self {
            Self::Postgres { row, skip } => row.try_get(i + skip)?,
            Self::Sqlite(row) => row.try_get(i)?,
        })
    }

    pub fn uuid(&self, i: usize) -> Result<Uuid, QueryError> {
        self.get(i)
    }

    pub fn opt_uuid(&self, i: usize) -> Result<Option<Uuid>, QueryError> {
        self.get(i)
    }

    pub fn text(&self, i: usize) -> Result<String, QueryError> {
        self.get(i)
    }

    /// A text column borrowed from the row (no copy: documents are copied once, into the body).
    pub fn str(&self, i: usize) -> Result<&str, QueryError> {
        self.get(i)
    }

    /// How many bytes a column holds (0 for NULL), without decoding or checking it: for sizing
    /// buffers.
    pub fn byte_len(&self, i: usize) -> usize {
        match self {
            Self::Postgres { row, skip } => raw_len(row.as_ref(), i + skip),
            Self::Sqlite(row) => raw_len(row, i),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, QueryError> {
        self.get(i)
    }

    /// An integer column (NULL as 0: counters without a row yet). On PostgreSQL a `bigint` or an
    /// `integer`, told apart by the column's type (decoding one as the other is an error, and
    /// building an error for every row cost more than decoding it).
    pub fn count(&self, i: usize) -> Result<i64, QueryError> {
        Ok(match self {
            Self::Postgres { row: r, skip } => {
                let column = i + skip;
                let four_bytes = r.columns().get(column).is_some_and(|c| c.type_info().name() == "INT4");
                let value = if four_bytes {
                    r.try_get::<Option<i32>, _>(column)?.map(i64::from)
                } else {
                    r.try_get::<Option<i64>, _>(column)?
                };
                value.unwrap_or(0)
            }
            Self::Sqlite(r) => r.try_get::<Option<i64>, _>(i)?.unwrap_or(0),
        })
    }

    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>, QueryError> {
        self.get(i)
    }

    pub fn opt_bool(&self, i: usize) -> Result<Option<bool>, QueryError> {
        Ok(match self {
            Self::Postgres { row: r, skip } => r.try_get(i + skip)?,
            Self::Sqlite(r) => r.try_get::<Option<i64>, _>(i)?.map(|v| v != 0),
        })
    }

    pub fn bool(&self, i: usize) -> Result<bool, QueryError> {
        Ok(self.opt_bool(i)?.unwrap_or(false))
    }

    /// A json column (PostgreSQL's EXPLAIN output) or JSON text.
    pub fn json(&self, i: usize) -> Result<serde_json::Value, QueryError> {
        Ok(match self {
            Self::Postgres { row: r, skip } => r.try_get::<sqlx::types::Json<serde_json::Value>, _>(i + skip)?.0,
            Self::Sqlite(r) => serde_json::from_str(&r.try_get::<String, _>(i)?).unwrap_or_default(),
        })
    }

    /// A time column as microseconds since the epoch.
    pub fn opt_time(&self, i: usize) -> Result<Option<i64>, QueryError> {
        Ok(match self {
            Self::Postgres { row: r, skip } => {
                r.try_get::<Option<DateTime<Utc>>, _>(i + skip)?.map(|t| t.timestamp_micros())
            }
            Self::Sqlite(r) => r.try_get(i)?,
        })
    }
}

/// A column's bytes as stored, counted without decoding ([`AnyRow::byte_len`]).
fn raw_len<'r, R: Row>(row: &'r R, i: usize) -> usize
where
    usize: sqlx::ColumnIndex<R>,
    &'r [u8]: sqlx::Decode<'r, R::Database>,
{
    row.try_get_raw(i)
        .ok()
        .filter(|raw| !sqlx::ValueRef::is_null(raw))
        .and_then(|raw| <&[u8] as sqlx::Decode<R::Database>>::decode(raw).ok())
        .map_or(0, <[u8]>::len)
}
