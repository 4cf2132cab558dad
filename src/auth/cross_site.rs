//! Cross-site request refusal for everything the refresh cookie authenticates (or sets).
//!
//! The cookie is `SameSite=Strict`, but that alone is not enough: a sibling subdomain is
//! "same-site", an old browser may ignore the attribute, and a form post can carry a body that
//! is not JSON. So every request that the cookie authenticates (`POST /api/auth/refresh`
//! without a body token, `POST /api/auth/logout` carrying the cookie) and every request that
//! sets it (`POST /api/auth/login` with `use_cookie`) must also pass:
//! - `Sec-Fetch-Site`, when sent (every current browser does): only `same-origin` or `none`
//!   (typed into the address bar); `same-site`, `cross-site` or anything else is refused.
//! - `Origin`, when sent: exactly one of the app's origins — `PUBLIC_ORIGIN` when configured
//!   (behind a proxy that rewrites Host, or the Vite dev server), else `https://` + the
//!   request's Host (HTTP/1.1) or authority (HTTP/2). `Origin: null` (sandboxed frames,
//!   redirects, `file:`) is refused.
//! - `Content-Type: application/json` ([`require_json`]): a cross-site HTML form cannot send it,
//!   and a script can only send it after a CORS preflight, which this server never grants.
//!
//! A request with neither header is not from a browser page (the CLI, curl): it has no ambient
//! cookie to abuse, and if it sends one it has the token anyway. Refusals are 403
//! `{code: "cross_site"}`, and 415 for a wrong content type.

use actix_web::{http::header, HttpRequest};

use crate::{config::Settings, error::AppError};

/// Refuses a request that a browser made on behalf of another site (or an opaque origin).
pub fn check(req: &HttpRequest, settings: &Settings) -> Result<(), AppError> {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        match site.to_str().map(str::to_ascii_lowercase).as_deref() {
            Ok("same-origin" | "none") => {}
            _ => return Err(AppError::CrossSite("cross-site request refused")),
        }
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map(normalise)
        .map_err(|_| AppError::CrossSite("cross-site request refused"))?;
    if origin == "null" {
        return Err(AppError::CrossSite(
            "requests from an opaque origin are refused",
        ));
    }
    let allowed = if settings.public_origins.is_empty() {
        own_origin(req).is_some_and(|own| own == origin)
    } else {
        settings
            .public_origins
            .iter()
            .any(|o| normalise(o) == origin)
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::CrossSite("cross-site request refused"))
    }
}

/// Refuses a body that is not declared as JSON (415), whatever it contains.
pub fn require_json(req: &HttpRequest) -> Result<(), AppError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

/// `https://` + the host the client addressed. Never `X-Forwarded-Host` (client-controlled
/// without a proxy; set `PUBLIC_ORIGIN` behind one).
fn own_origin(req: &HttpRequest) -> Option<String> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))?;
    Some(normalise(&format!("https://{host}")))
}

/// Lower case, no trailing slash, no default port: how browsers serialise an origin.
fn normalise(origin: &str) -> String {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    match o.strip_suffix(":443") {
        Some(rest) if rest.starts_with("https://") => rest.to_owned(),
        _ => match o.strip_suffix(":80") {
            Some(rest) if rest.starts_with("http://") => rest.to_owned(),
            _ => o,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn origins_compare_the_way_browsers_serialise_them() {
        assert_eq!(
            normalise("HTTPS://Chat.Example:443/"),
            "https://chat.example"
        );
        assert_eq!(normalise("http://localhost:80"), "http://localhost");
        assert_eq!(
            normalise("https://localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(normalise("null"), "null");
    }
}
