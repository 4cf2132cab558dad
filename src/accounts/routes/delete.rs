//! `DELETE /api/account`: re-authenticate with the auth key, then delete the account and
//! everything that cascades from it (sessions, memberships, event log). Messages already
//! delivered to others stay theirs.

use actix_web::{delete, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    accounts::fields::AuthKey,
    attachments::store::AttachmentStore,
    audit::{self, AuditKind},
    auth::{credentials, password::BcryptGate, AuthUser},
    db::{self, schema::users},
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DeleteAccountRequest {
    pub auth_key: String,
}

#[utoipa::path(tag = "account", security(("bearer" = [])), request_body = DeleteAccountRequest, responses(
    (status = 204), (status = 401, body = crate::error::ErrorBody)))]
#[delete("/api/account")]
pub async fn delete_account(
    state: web::Data<AppState>,
    bcrypt: web::Data<BcryptGate>,
    attachments: web::Data<AttachmentStore>,
    user: AuthUser,
    meta: RequestMeta,
    body: web::Json<DeleteAccountRequest>,
) -> Result<HttpResponse, AppError> {
    let key = AuthKey::parse("auth_key", &body.auth_key)?;
    credentials::verify_by_id(&state, &bcrypt, user.user_id, key, &meta).await?;
    let (sessions, deliveries, released) = db::transaction(&state.pool, move |conn| {
        let sessions = store::revoke_all_except(conn, user.user_id, None)?;
        let deliveries = crate::conversations::leave_all(conn, user.user_id)?;
        // Uploads no message references go with the account; referenced ones stay for the
        // other members (owned by nobody; the expiry sweep takes them once unreferenced).
        let released = crate::attachments::models::release_owner(conn, user.user_id)?;
        diesel::delete(users::table.find(user.user_id)).execute(conn)?;
        audit::record(
            conn,
            AuditKind::AccountDeleted,
            Some(user.user_id),
            Some(user.session_id),
            &meta,
            serde_json::json!({}),
        )?;
        Ok((sessions, deliveries, released))
    })
    .await?;
    attachments.remove(&released).await;
    state.fanout.sessions_revoked(&sessions);
    state.fanout.deliver(deliveries);
    Ok(HttpResponse::NoContent().finish())
}
