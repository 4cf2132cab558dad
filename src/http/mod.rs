//! The HTTP face of the app: every feature's routes mounted in one place, the API document
//! merged from the same lists, security headers, health and the metrics server.

pub mod docs;
pub mod headers;
pub mod health;
pub mod metrics;

use actix_web::web;

use crate::{
    accounts, attachments, auth, conversations, error, messages, presence, request::body::JSON_LIMIT,
    routing::Routes, sessions, stream,
};

/// Every documented route of the app, one list per feature, in the order they are registered.
/// Handlers name their full path, which is also their OpenAPI path.
pub fn all_routes() -> [Routes; 9] {
    [
        health::routes(),
        auth::routes::routes(),
        sessions::routes::routes(),
        accounts::routes::routes(),
        stream::routes::routes(),
        presence::routes::routes(),
        conversations::routes::routes(),
        messages::routes::routes(),
        attachments::routes::routes(),
    ]
}

/// Every route of the app, with the extractor limits and their error bodies.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(|e, _| error::json_error(e).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| error::query_error(e).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _| error::path_error(e).into()))
    // Message posts read their body by hand against their own, larger limit.
    .app_data(web::PayloadConfig::new(messages::BODY_LIMIT));
    docs::configure(cfg);
    for routes in all_routes() {
        (routes.configure)(cfg);
    }
}
