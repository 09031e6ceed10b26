//! The query API's HTTP surface. Each handler checks who is asking and what was asked (pure
//! parsing and planning), then [`respond::serve`] answers from the cache or with one indexed read.

mod comments;
mod detail;
mod list;
pub mod openapi;
mod problem;
pub mod respond;
mod users;

use actix_web::web;

/// Mounts the query routes; needs `web::Data<QueryState>` in app data.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/v1/content/{type}", web::get().to(list::list))
        .route("/v1/content/{type}/{id}/comments", web::get().to(comments::comments))
        .route("/v1/content/{type}/{id}", web::get().to(detail::detail))
        .route("/v1/users/{user}/history", web::get().to(users::history))
        .route("/v1/users/{user}/state", web::get().to(users::state));
}
