//! Test support: a fresh PostgreSQL database per test, created on the server named by
//! `FOLIO_TEST_PG_URL` (default: scripts/dev-up's) and dropped by [`TestDatabase::drop_now`].
//! A missing server panics with how to start it: tests fail loudly, never skip.

use sqlx::{Connection, PgConnection};

pub const DEFAULT_PG_URL: &str = "postgres://folio:folio@127.0.0.1:55432/postgres";

/// The admin URL tests create their databases with.
pub fn pg_admin_url() -> String {
    std::env::var("FOLIO_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    #[allow(clippy::expect_used, clippy::panic)] // test support: fail loudly
    pub async fn create() -> Self {
        let admin_url = pg_admin_url();
        let name = format!("folio_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it with scripts/dev-up")
        });
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("CREATE DATABASE");
        let _ = admin.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Self { admin_url, name, url }
    }

    /// Drops the database, disconnecting whoever still uses it.
    #[allow(clippy::expect_used)] // test support: fail loudly
    pub async fn drop_now(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.expect("connect to drop the test database");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .expect("DROP DATABASE");
    }
}
