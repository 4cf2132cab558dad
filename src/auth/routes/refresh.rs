//! `POST /api/auth/refresh`: swaps a refresh token (body or cookie) for a new pair. Every use
//! rotates it. A just-retired token presented again within `REFRESH_GRACE_SECS` (two tabs
//! refreshing at once) gets the same successor; later, it revokes the whole session.
//!
//! A request that carries the refresh cookie must come from the app's own origin
//! (`cross_site.rs`), else 403 `cross_site`: a page on another site cannot make the browser
//! spend the cookie. The body is always JSON (`Content-Type: application/json`, else 415).

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{clear_refresh_cookie, cookie_token, refresh_cookie, TokenPair};
use crate::{
    audit::{self, AuditKind},
    auth::{cross_site, tokens::TokenKeys},
    db,
    error::AppError,
    request::meta::RequestMeta,
    sessions::store::{self, Rotation, RotationPolicy},
    state::AppState,
};

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// API clients send it here; browsers send `{}` and rely on the cookie.
    pub refresh_token: Option<String>,
}

#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, body = crate::error::ErrorBody),
    (status = 403, description = "the cookie was sent from another site (`cross_site`)", body = crate::error::ErrorBody),
    (status = 415, description = "the body is not declared as JSON", body = crate::error::ErrorBody)))]
#[post("/api/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    tokens: web::Data<TokenKeys>,
    req: HttpRequest,
    meta: RequestMeta,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // A request carrying the cookie is checked first, whether or not the cookie ends up being
    // the credential: the app's own page never sends a body token, a foreign one gets nothing.
    let cookie = cookie_token(&req);
    if cookie.is_some() {
        cross_site::check(&req, &state.settings)?;
    }
    cross_site::require_json(&req)?;
    // An empty body is taken as `{}`; when present it must be well-formed: a malformed body is
    // a 400, not a silent fall-back to the cookie.
    let parsed: RefreshRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else {
        crate::request::body::parse(&body, crate::request::body::JSON_LIMIT)?
    };
    let from_body = parsed.refresh_token.filter(|t| !t.is_empty());
    let (presented, via_cookie) = match from_body {
        Some(t) => (t, false),
        None => (
            cookie.ok_or(AppError::Unauthenticated("missing refresh token"))?,
            true,
        ),
    };
    if presented.len() > 128 {
        return Err(AppError::Unauthenticated("invalid refresh token"));
    }
    let settings = state.settings.clone();
    let rotation = db::transaction(&state.pool, move |conn| {
        let policy = RotationPolicy {
            secret: settings.jwt_secret.expose().as_bytes(),
            grace: settings.refresh_grace,
        };
        let rotation = store::rotate(conn, &presented, &policy)?;
        if let Rotation::Reused { user, session } = &rotation {
            audit::record(
                conn,
                AuditKind::RefreshReuse,
                Some(*user),
                Some(*session),
                &meta,
                serde_json::json!({}),
            )?;
        }
        Ok(rotation)
    })
    .await?;
    match rotation {
        Rotation::Rotated {
            user,
            session,
            token,
        } => {
            let access_token = tokens.issue(user, session)?;
            let mut response = HttpResponse::Ok();
            let refresh_token = if via_cookie {
                response.cookie(refresh_cookie(
                    &token.0,
                    state.settings.refresh_token_ttl.as_secs() as i64,
                ));
                None
            } else {
                Some(token.0)
            };
            Ok(response.json(TokenPair {
                access_token,
                expires_in: tokens.ttl_secs(),
                refresh_token,
            }))
        }
        Rotation::Reused { session, .. } => {
            state.fanout.session_revoked(session);
            Ok(unauthorized_clearing_cookie(
                "refresh token reuse detected: session revoked",
            ))
        }
        Rotation::Invalid => Ok(unauthorized_clearing_cookie("invalid refresh token")),
    }
}

fn unauthorized_clearing_cookie(message: &'static str) -> HttpResponse {
    let mut response =
        actix_web::ResponseError::error_response(&AppError::Unauthenticated(message));
    let _ = response.add_cookie(&clear_refresh_cookie());
    response
}
