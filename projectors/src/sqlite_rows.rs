//! Many rows in few statements on SQLite.
//!
//! sqlx runs each SQLite statement on the connection's worker thread and hands the result back
//! through a channel: every statement costs two thread wake-ups, which on a small machine cost
//! more than the row's write itself (a rebuild that wrote one row per statement spent as much
//! time in the kernel as in SQLite). Rows therefore go in as multi-row `VALUES` lists, and id
//! lists as one JSON array (`json_each`).
//!
//! Rules:
//! - A statement binds at most [`MAX_VALUES`] values and [`MAX_ROWS`] rows; more rows are split
//!   into several statements, run in order in the caller's transaction.
//! - Rows of one statement are applied in the order given, so a later row's upsert sees an
//!   earlier one's effect, as separate statements would.
//! - Only full-size and one-row statements are kept in the connection's statement cache: other
//!   lengths vary from batch to batch and would evict the statements that are reused (a live
//!   projector's batches are often a single row).

use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

/// Whether the schema has a table (or virtual table) named `name`.
pub async fn table_exists<'e, E>(executor: E, name: &str) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    sqlx::query_scalar("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = $1")
        .bind(name)
        .fetch_one(executor)
        .await
}

/// SQLite's default limit on bound values per statement (`SQLITE_MAX_VARIABLE_NUMBER`).
pub const MAX_VALUES: usize = 32_766;

/// Most rows per statement: past this, a longer statement saves no measurable time.
pub const MAX_ROWS: usize = 500;

/// Rows of `columns` values each that fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (MAX_VALUES / columns.max(1)).clamp(1, MAX_ROWS)
}

fn cached(rows: usize, per_statement: usize) -> bool {
    rows == per_statement || rows == 1
}

/// One `INSERT` shape: `head` (`INSERT INTO t (a, b) `), then the `VALUES` list, then `tail`
/// (an `ON CONFLICT` or `RETURNING` clause, or nothing).
#[derive(Debug, Clone, Copy)]
pub struct Insert<'s> {
    pub head: &'s str,
    pub columns: usize,
    pub tail: &'s str,
}

impl Insert<'_> {
    /// Writes `rows`, `bind` pushing each row's `columns` values in column order.
    pub async fn execute<'a, T>(
        &self,
        conn: &mut SqliteConnection,
        rows: &'a [T],
        mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
    ) -> Result<(), sqlx::Error> {
        let per = rows_per_statement(self.columns);
        for chunk in rows.chunks(per) {
            let mut builder = self.builder(chunk, &mut bind);
            builder.build().persistent(cached(chunk.len(), per)).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// As [`Insert::execute`], returning the rows of the `tail`'s `RETURNING` clause (in no
    /// particular order: SQLite does not promise one).
    pub async fn fetch_all<'a, T>(
        &self,
        conn: &mut SqliteConnection,
        rows: &'a [T],
        mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
    ) -> Result<Vec<SqliteRow>, sqlx::Error> {
        let per = rows_per_statement(self.columns);
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(per) {
            let mut builder = self.builder(chunk, &mut bind);
            out.extend(builder.build().persistent(cached(chunk.len(), per)).fetch_all(&mut *conn).await?);
        }
        Ok(out)
    }

    fn builder<'a, T>(
        &self,
        chunk: &'a [T],
        bind: &mut impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
    ) -> QueryBuilder<'a, Sqlite> {
        let mut builder = QueryBuilder::new(self.head);
        builder.push_values(chunk, |mut row, value| bind(&mut row, value));
        builder.push(self.tail);
        builder
    }
}

/// A list of ids as one bound value: a JSON array of their hex forms, which SQL turns back into
/// the 16-byte blobs SQLite stores uuids as with `SELECT unhex(value) FROM json_each(?)`.
pub fn uuid_list(ids: impl IntoIterator<Item = Uuid>) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(id.simple().encode_lower(&mut Uuid::encode_buffer()));
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, Row};

    #[test]
    fn rows_per_statement_stays_under_both_limits() {
        assert_eq!(rows_per_statement(1), MAX_ROWS);
        assert_eq!(rows_per_statement(100), 327);
        assert_eq!(rows_per_statement(40_000), 1);
        assert_eq!(rows_per_statement(0), MAX_ROWS);
    }

    #[test]
    fn a_uuid_list_is_a_json_array_of_hex() {
        let a = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let b = Uuid::from_u128(1);
        let list = uuid_list([a, b]);
        assert_eq!(list, r#"["0123456789abcdef0123456789abcdef","00000000000000000000000000000001"]"#);
        let parsed: Vec<String> = serde_json::from_str(&list).expect("json");
        assert_eq!(parsed.len(), 2);
        assert_eq!(uuid_list([]), "[]");
    }

    /// More rows than one statement holds, with duplicates that must upsert in order, and a
    /// `RETURNING` that gives every row back.
    #[tokio::test]
    async fn rows_split_over_statements_apply_in_order() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.expect("connect");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, note TEXT)")
            .execute(&mut conn)
            .await
            .expect("create");
        let rows: Vec<(i64, i64)> = (0..(MAX_ROWS as i64 * 2 + 7)).map(|i| (i % 300, i)).collect();
        let upsert = Insert {
            head: "INSERT INTO t (id, n) ",
            columns: 2,
            tail: " ON CONFLICT (id) DO UPDATE SET n = excluded.n",
        };
        upsert
            .execute(&mut conn, &rows, |row, (id, n)| {
                row.push_bind(id).push_bind(n);
            })
            .await
            .expect("insert");
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(&mut conn).await.expect("count");
        assert_eq!(count, 300);
        // The last row written for an id wins, as with one statement per row: id 6 is written by
        // rows 6 and 306 of the first statement, then 606 and 906 of the second.
        let n: i64 = sqlx::query_scalar("SELECT n FROM t WHERE id = 6").fetch_one(&mut conn).await.expect("n");
        assert_eq!(n, 906);

        let notes: Vec<(i64, String)> = (1000..1000 + MAX_ROWS as i64 + 1).map(|i| (i, format!("it's {i}"))).collect();
        let returned = Insert { head: "INSERT INTO t (id, n, note) ", columns: 3, tail: " RETURNING id, note" }
            .fetch_all(&mut conn, &notes, |row, (id, note)| {
                row.push_bind(id).push_bind(0_i64).push_bind(note.as_str());
            })
            .await
            .expect("insert returning");
        let mut got: Vec<(i64, String)> = returned.iter().map(|r| (r.get(0), r.get(1))).collect();
        got.sort();
        assert_eq!(got, notes);
    }

    #[tokio::test]
    async fn a_uuid_list_selects_the_stored_blobs() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.expect("connect");
        sqlx::query("CREATE TABLE t (id BLOB PRIMARY KEY)").execute(&mut conn).await.expect("create");
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            sqlx::query("INSERT INTO t (id) VALUES ($1)").bind(id).execute(&mut conn).await.expect("insert");
        }
        let wanted = [ids[1], ids[3], Uuid::now_v7()];
        let mut found: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM t WHERE id IN (SELECT unhex(value) FROM json_each($1))")
                .bind(uuid_list(wanted))
                .fetch_all(&mut conn)
                .await
                .expect("select");
        found.sort();
        let mut expected = vec![ids[1], ids[3]];
        expected.sort();
        assert_eq!(found, expected);
    }
}
