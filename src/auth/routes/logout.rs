//! `POST /api/auth/logout`: revokes the caller's session (its streams close) and clears the cookie.
//! Authenticated by the bearer token; a request that also carries the refresh cookie must come
//! from the app's own origin (`cross_site.rs`), like every request the cookie rides on.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::{clear_refresh_cookie, cookie_token};
use crate::{
    audit::{self, AuditKind},
    auth::{cross_site, AuthUser},
    db,
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};

#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 204), (status = 401, body = crate::error::ErrorBody),
    (status = 403, description = "the cookie was sent from another site (`cross_site`)", body = crate::error::ErrorBody)))]
#[post("/api/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    if cookie_token(&req).is_some() {
        cross_site::check(&req, &state.settings)?;
    }
    db::transaction(&state.pool, move |conn| {
        store::revoke(conn, user.user_id, user.session_id)?;
        audit::record(
            conn,
            AuditKind::Logout,
            Some(user.user_id),
            Some(user.session_id),
            &meta,
            serde_json::json!({}),
        )?;
        Ok(())
    })
    .await?;
    state.fanout.session_revoked(user.session_id);
    Ok(HttpResponse::NoContent()
        .cookie(clear_refresh_cookie())
        .finish())
}
