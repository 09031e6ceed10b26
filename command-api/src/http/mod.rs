//! The command API's HTTP surface. Handlers authenticate, load state from the event store, call a
//! pure decision, and append its events in one call; every error leaves as problem+json.

mod auth;
mod body;
mod comments;
mod content;
mod engagement;
mod error;
mod idempotency;
pub(crate) mod keys;
mod metadata;
pub mod openapi;
mod references;
mod types;

pub use error::ApiError;
pub use keys::random_secret;

use actix_web::web;
use infra::EventStore;
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct CommandState {
    pub store: Arc<dyn EventStore>,
    /// Verified keys and items' status, kept true by the log (see `crate::live`).
    pub live: Arc<crate::live::Live>,
}

impl CommandState {
    /// State over `store` with a cache that caches nothing until [`Self::follow`] runs.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, live: Arc::new(crate::live::Live::default()) }
    }

    /// Keeps the cache true by tailing the log; runs until dropped.
    pub async fn follow(self) {
        self.live.clone().follow(self.store.clone()).await;
    }
}

impl std::fmt::Debug for CommandState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandState").finish_non_exhaustive()
    }
}

/// Limits of request bodies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body_bytes: 2 * 1024 * 1024 }
    }
}

/// Mounts the command routes; needs `web::Data<CommandState>` in app data.
///
/// actix-web tries routes in order, matching each dynamic path's regular expression before its
/// method guard, so the busiest writes come first: views (tens of millions) and the other
/// engagement, then comments, then content and the administrative routes.
pub fn configure(limits: Limits) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config: &mut web::ServiceConfig| {
        config
            .app_data(body::json_config(limits))
            .route("/v1/content/{type}/{id}/views", web::post().to(engagement::view))
            .route("/v1/content/{type}/{id}/likes", web::post().to(engagement::like))
            .route("/v1/content/{type}/{id}/likes", web::delete().to(engagement::unlike))
            .route("/v1/content/{type}/{id}/bookmarks", web::post().to(engagement::bookmark))
            .route("/v1/content/{type}/{id}/bookmarks", web::delete().to(engagement::unbookmark))
            .route("/v1/content/{type}/{id}/shares", web::post().to(engagement::share))
            .route("/v1/content/{type}/{id}/comments", web::post().to(comments::post))
            .route("/v1/comments/{id}", web::patch().to(comments::edit))
            .route("/v1/comments/{id}", web::delete().to(comments::remove))
            .route("/v1/content/{type}", web::post().to(content::create))
            .route("/v1/content/{type}/{id}", web::patch().to(content::revise))
            .route("/v1/content/{type}/{id}/publish", web::post().to(content::publish))
            .route("/v1/content/{type}/{id}/unpublish", web::post().to(content::unpublish))
            .route("/v1/content/{type}/{id}/schedule", web::post().to(content::schedule))
            .route("/v1/content/{type}/{id}/archive", web::post().to(content::archive))
            .route("/v1/types", web::get().to(types::list))
            .route("/v1/types/{type}", web::put().to(types::put))
            .route("/v1/types/{type}", web::get().to(types::get))
            .route("/v1/keys", web::post().to(keys::create))
            .route("/v1/keys/{id}", web::delete().to(keys::revoke));
    }
}
