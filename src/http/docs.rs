//! The API contract, generated from the handlers and types (utoipa), served at
//! `/api/openapi.json`, and a same-origin page that renders it at `/api/docs`.

use actix_web::{get, HttpResponse};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::{accounts, auth, http::health, sessions};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Courier API",
        description = "End-to-end-encrypted messaging. Every binary value is standard padded base64. \
            Errors are `{code, message}`. Access tokens go in `Authorization: Bearer`, never in a URL.",
    ),
    paths(
        health::healthz, health::readyz,
        auth::routes::prelogin::prelogin, auth::routes::register::register, auth::routes::login::login,
        auth::routes::refresh::refresh, auth::routes::logout::logout,
        sessions::routes::list, sessions::routes::revoke,
        accounts::routes::password::change_password, accounts::routes::recover::recover,
        accounts::routes::delete::delete_account,
        accounts::routes::lookup::by_username, accounts::routes::lookup::by_id,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// The messaging half of the contract.
#[derive(OpenApi)]
#[openapi(paths(
    crate::events::routes::events, crate::presence::routes::presence,
    crate::conversations::routes::create::create, crate::conversations::routes::read::list,
    crate::conversations::routes::read::get, crate::conversations::routes::members::add,
    crate::conversations::routes::members::remove, crate::messages::routes::post::post_message,
    crate::messages::routes::history::history, crate::messages::routes::delete::delete_message,
    crate::messages::routes::receipts::receipt, crate::messages::routes::typing::typing,
))]
pub struct MessagingDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The whole document, merged from every feature's part.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for extra in crate::startup::extra_openapi() {
        doc.merge(extra);
    }
    doc
}

#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

#[get("/api/docs")]
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(include_str!("assets/docs.html"))
}

#[get("/api/docs.js")]
pub async fn docs_js() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(include_str!("assets/docs.js"))
}

#[get("/api/docs.css")]
pub async fn docs_css() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(include_str!("assets/docs.css"))
}
