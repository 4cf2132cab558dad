//! `POST /api/auth/logout`: revokes the caller's session (its streams close) and clears the cookie.

use actix_web::{post, web, HttpResponse};

use super::clear_refresh_cookie;
use crate::{
    audit::{self, AuditKind},
    auth::AuthUser,
    db,
    error::AppError,
    http::meta::RequestMeta,
    sessions::store,
    state::AppState,
};

#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
#[post("/api/auth/logout")]
pub async fn logout(state: web::Data<AppState>, user: AuthUser, meta: RequestMeta) -> Result<HttpResponse, AppError> {
    db::transaction(&state.pool, move |conn| {
        store::revoke(conn, user.user_id, user.session_id)?;
        audit::record(conn, AuditKind::Logout, Some(user.user_id), Some(user.session_id), &meta, serde_json::json!({}))?;
        Ok(())
    })
    .await?;
    state.session_revoked(user.session_id);
    Ok(HttpResponse::NoContent().cookie(clear_refresh_cookie()).finish())
}
