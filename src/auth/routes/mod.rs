//! One file per endpoint.

pub mod login;
pub mod logout;
pub mod prelogin;
pub mod refresh;
pub mod register;

crate::routes![
    prelogin::prelogin,
    register::register,
    login::login,
    refresh::refresh,
    logout::logout,
];

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    HttpRequest,
};
use serde::Serialize;

/// The browser keeps its refresh token here: `__Host-` pins it to this origin, path `/`, Secure.
pub const REFRESH_COOKIE: &str = "__Host-courier_refresh";

pub fn refresh_cookie(token: &str, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token.to_owned())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

pub fn clear_refresh_cookie() -> Cookie<'static> {
    refresh_cookie("", 0)
}

pub fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// Access (and, for API clients, refresh) tokens.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Absent when the refresh token was set as the HttpOnly cookie instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}
