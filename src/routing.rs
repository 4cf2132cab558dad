//! One list per feature that both registers its routes and contributes their OpenAPI
//! operations, so a route cannot be served undocumented or documented unserved, and adding one
//! is one line: `routes![create::create, read::list]` in the feature's `routes` module.
//! `http` collects the features' lists; nothing else names a handler.

use actix_web::web::ServiceConfig;

/// A feature's routes: what `http` registers and what the API document merges.
#[derive(Clone, Copy)]
pub struct Routes {
    /// Registers every handler of the list, in its order.
    pub configure: fn(&mut ServiceConfig),
    /// The OpenAPI paths of the same handlers.
    pub openapi: fn() -> utoipa::openapi::OpenApi,
}

/// `pub fn routes() -> Routes` for the listed handlers (each an actix handler with a
/// `#[utoipa::path]`), relative to the module the macro is called in.
#[macro_export]
macro_rules! routes {
    ($($($segment:ident)::+),+ $(,)?) => {
        /// This feature's routes and their API docs, from one list.
        pub fn routes() -> $crate::routing::Routes {
            #[derive(utoipa::OpenApi)]
            #[openapi(paths($($($segment)::+),+))]
            struct Doc;
            fn configure(cfg: &mut actix_web::web::ServiceConfig) {
                $(cfg.service($($segment)::+);)+
            }
            $crate::routing::Routes {
                configure,
                openapi: <Doc as utoipa::OpenApi>::openapi,
            }
        }
    };
}
