//! `POST /api/auth/refresh`: swaps a refresh token (body or cookie) for a new pair. Every use
//! rotates it; a retired token presented again revokes the whole session.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{clear_refresh_cookie, cookie_token, refresh_cookie, TokenPair};
use crate::{
    audit::{self, AuditKind},
    db,
    error::AppError,
    http::meta::RequestMeta,
    sessions::store::{self, Rotation},
    state::AppState,
};

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// API clients send it here; browsers leave it out and rely on the cookie.
    pub refresh_token: Option<String>,
}

#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, body = crate::error::ErrorBody)))]
#[post("/api/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The body is optional (browsers send nothing and rely on the cookie), but when present it
    // must be well-formed: a malformed body is a 400, not a silent fall-back to the cookie.
    let parsed: RefreshRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else {
        crate::http::body::parse(&body, crate::startup::JSON_LIMIT)?
    };
    let from_body = parsed.refresh_token.filter(|t| !t.is_empty());
    let (presented, via_cookie) = match from_body {
        Some(t) => (t, false),
        None => (cookie_token(&req).ok_or(AppError::Unauthenticated("missing refresh token"))?, true),
    };
    if presented.len() > 128 {
        return Err(AppError::Unauthenticated("invalid refresh token"));
    }
    let rotation = db::transaction(&state.pool, move |conn| {
        let rotation = store::rotate(conn, &presented)?;
        if let Rotation::Reused { user, session } = &rotation {
            audit::record(conn, AuditKind::RefreshReuse, Some(*user), Some(*session), &meta, serde_json::json!({}))?;
        }
        Ok(rotation)
    })
    .await?;
    match rotation {
        Rotation::Rotated { user, session, token } => {
            let access_token = state.tokens.issue(user, session)?;
            let mut response = HttpResponse::Ok();
            let refresh_token = if via_cookie {
                response.cookie(refresh_cookie(&token.0, state.settings.refresh_token_ttl.as_secs() as i64));
                None
            } else {
                Some(token.0)
            };
            Ok(response.json(TokenPair { access_token, expires_in: state.tokens.ttl_secs(), refresh_token }))
        }
        Rotation::Reused { session, .. } => {
            state.session_revoked(session);
            Ok(unauthorized_clearing_cookie("refresh token reuse detected: session revoked"))
        }
        Rotation::Invalid => Ok(unauthorized_clearing_cookie("invalid refresh token")),
    }
}

fn unauthorized_clearing_cookie(message: &'static str) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&AppError::Unauthenticated(message));
    let _ = response.add_cookie(&clear_refresh_cookie());
    response
}
