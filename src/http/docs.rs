//! The API contract, generated from the handlers and types (utoipa), served at
//! `/api/openapi.json`, and a same-origin page that renders it at `/api/docs`.

use actix_web::{get, HttpResponse};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Courier API",
        description = "End-to-end-encrypted messaging. Every binary value is standard padded base64. \
            Errors are `{code, message}`. Access tokens go in `Authorization: Bearer`, never in a URL.",
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole document: the routes of every feature (`super::all_routes`, the same lists that
/// register them), merged.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for routes in super::all_routes() {
        doc.merge((routes.openapi)());
    }
    document_common_errors(&mut doc);
    doc
}

/// The errors any operation can answer, whatever its handler says: bad input of any kind (400),
/// a missing or revoked token where one is needed (401), an unknown id (404), a body over the
/// limit or not JSON (413, 415), throttles (429) and a database away (503). Added to every
/// operation that does not list them already, so the contract names every status the server
/// sends (schemathesis checks this against the running server: scripts/schemathesis.sh).
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/");
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let mut wanted = vec![("503", "service temporarily unavailable (database or bus)")];
            if api {
                wanted.extend([
                    ("400", "invalid input"),
                    ("404", "not found"),
                    ("429", "too many requests"),
                ]);
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    wanted.push((
                        "401",
                        "missing, invalid or expired token, or session revoked",
                    ));
                }
                if op.request_body.is_some() {
                    wanted.extend([
                        ("413", "request body too large"),
                        ("415", "the body must be application/json"),
                    ]);
                }
            }
            for (status, description) in wanted {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description).into());
            }
        }
    }
}

/// The document and its page; not in the document themselves.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(openapi_json)
        .service(docs_page)
        .service(docs_js)
        .service(docs_css);
}

#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

#[get("/api/docs")]
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("assets/docs.html"))
}

#[get("/api/docs.js")]
pub async fn docs_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("assets/docs.js"))
}

#[get("/api/docs.css")]
pub async fn docs_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("assets/docs.css"))
}
