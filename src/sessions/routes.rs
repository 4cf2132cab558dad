//! `GET /api/sessions` and `DELETE /api/sessions/{id}`: a user's own sessions only.

use actix_web::{delete, get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    audit::{self, AuditKind},
    auth::AuthUser,
    db,
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};
use courier_protocol::ids::SessionId;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    /// This is the session making the request.
    pub current: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

#[utoipa::path(tag = "sessions", operation_id = "list_sessions", security(("bearer" = [])), responses((status = 200, body = SessionList)))]
#[get("/api/sessions")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, move |conn| {
        Ok(store::list_active(conn, user.user_id)?)
    })
    .await?;
    let sessions = rows
        .into_iter()
        .map(|r| SessionView {
            id: r.id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            user_agent: r.user_agent,
            current: r.id == user.session_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}

#[utoipa::path(tag = "sessions", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
#[delete("/api/sessions/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let target = SessionId(path.into_inner());
    let revoked = db::transaction(&state.pool, move |conn| {
        if !store::revoke(conn, user.user_id, target)? {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            AuditKind::SessionRevoked,
            Some(user.user_id),
            Some(target),
            &meta,
            serde_json::json!({}),
        )?;
        Ok(target)
    })
    .await?;
    state.fanout.session_revoked(revoked);
    Ok(HttpResponse::NoContent().finish())
}

crate::routes![list, revoke];
