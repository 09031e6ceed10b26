//! What every handler shares, and how change notices reach it.

use crate::cache::ResponseCache;
use crate::catalog::Catalog;
use crate::db::ReadDb;
use crate::error::QueryError;
use crate::keys::KeyCache;
use crate::request::cursor::CursorCodec;
use crate::sql::{Arg, Sql};
use events::Position;
use infra::notices::ChangeNotice;
use std::time::Duration;
use tokio::sync::watch;

/// The query API's settings.
#[derive(Debug, Clone)]
pub struct QueryConfig {
    /// Response cache size in bytes; 0 turns the cache off.
    pub cache_bytes: usize,
    /// `max-age` of `Cache-Control` on public responses.
    pub cache_max_age: u32,
    /// Longest a request waits for `Folio-Min-Position`.
    pub min_position_timeout: Duration,
    /// The cursor-signing secret; None: the one stored in the read models (made on first start),
    /// so every replica shares it without configuration.
    pub cursor_secret: Option<String>,
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self {
            cache_bytes: 64 * 1024 * 1024,
            cache_max_age: 0,
            min_position_timeout: Duration::from_secs(5),
            cursor_secret: None,
        }
    }
}

#[derive(Debug)]
pub struct QueryState {
    pub db: ReadDb,
    pub config: QueryConfig,
    pub cursors: CursorCodec,
    pub cache: ResponseCache,
    pub catalog: Catalog,
    pub keys: KeyCache,
    /// Bumped after every applied notice: what `Folio-Min-Position` waits on.
    pub notified: watch::Sender<u64>,
}

/// How fresh a read must be, after `Folio-Min-Position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The cache has applied every notice up to the position: cached answers are current.
    Notified,
    /// The database has committed the position but its notices are not applied yet: read the
    /// database, bypass the cache.
    Committed,
}

impl QueryState {
    pub async fn open(db: ReadDb, config: QueryConfig) -> Result<Self, QueryError> {
        let secret = match &config.cursor_secret {
            Some(secret) => secret.clone(),
            None => stored_secret(&db).await?,
        };
        Ok(Self {
            cursors: CursorCodec::new(secret.as_bytes()),
            cache: ResponseCache::new(config.cache_bytes),
            catalog: Catalog::default(),
            keys: KeyCache::default(),
            notified: watch::channel(0).0,
            db,
            config,
        })
    }

    /// Applies a projection's change notice to every cache.
    pub fn notice(&self, notice: &ChangeNotice) {
        if notice.projection == crate::keys::PROJECTION {
            self.keys.clear();
        }
        if notice.everything {
            self.catalog.forget(None::<std::iter::Empty<&String>>);
        } else if !notice.types.is_empty() {
            self.catalog.forget(Some(notice.types.iter()));
        }
        self.cache.apply(notice);
        self.notified.send_modify(|n| *n += 1);
    }

    /// Forgets everything cached: notices may have been missed (a lagging channel, a NATS
    /// reconnect).
    pub fn missed_notices(&self) {
        self.keys.clear();
        self.catalog.forget(None::<std::iter::Empty<&String>>);
        self.cache.clear();
        self.notified.send_modify(|n| *n += 1);
    }

    /// Waits until `projections` have reached `wanted`, at most the configured time.
    pub async fn reach(&self, projections: &[&str], wanted: Position) -> Result<Freshness, QueryError> {
        let deadline = tokio::time::Instant::now() + self.config.min_position_timeout;
        let mut changes = self.notified.subscribe();
        loop {
            if projections.iter().all(|p| self.cache.seen(p) >= wanted) {
                return Ok(Freshness::Notified);
            }
            let committed = self.db.fetch(&crate::sql::lookups::checkpoints(self.db.dialect())).await?;
            let mut reached = std::collections::HashMap::new();
            for row in &committed {
                reached.insert(row.text(0)?, row.count(1)?);
            }
            if projections.iter().all(|p| reached.get(*p).is_some_and(|&at| at >= wanted as i64)) {
                return Ok(Freshness::Committed);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(QueryError::NotReady { wanted });
            }
            let pause = (deadline - now).min(Duration::from_millis(25));
            let _ = tokio::time::timeout(pause, changes.changed()).await;
        }
    }
}

/// The read models' cursor secret, created by the first query API that starts.
async fn stored_secret(db: &ReadDb) -> Result<String, QueryError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| QueryError::Corrupt(format!("no randomness: {e}")))?;
    let dialect = db.dialect();
    let mut insert = Sql::new(dialect);
    insert
        .push("INSERT INTO query_settings (name, value) VALUES ('cursor_secret', ")
        .bind(Arg::Text(events::api_key::hex(&random)))
        .push(") ON CONFLICT (name) DO NOTHING");
    db.execute(&insert).await?;
    let mut select = Sql::new(dialect);
    select.push("SELECT value FROM query_settings WHERE name = 'cursor_secret'");
    let rows = db.fetch(&select).await?;
    rows.first().map(|r| r.text(0)).transpose()?.ok_or_else(|| QueryError::Corrupt("no cursor secret".into()))
}
