//! `POST /api/account/password`: re-authenticate with the current auth key, store the new salt,
//! auth hash and re-wrapped user key, and revoke every other session.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use super::NewCredentials;
use crate::{
    accounts::fields::AuthKey,
    audit::{self, AuditKind},
    auth::{credentials, password::BcryptGate, AuthUser},
    db::{self, schema::users},
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    /// The current auth key.
    pub auth_key: String,
    #[serde(flatten)]
    pub new: NewCredentials,
}

#[utoipa::path(tag = "account", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
#[post("/api/account/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    bcrypt: web::Data<BcryptGate>,
    user: AuthUser,
    meta: RequestMeta,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, AppError> {
    let current = AuthKey::parse("auth_key", &body.auth_key)?;
    let new = body.new.parse()?;
    credentials::verify_by_id(&state, &bcrypt, user.user_id, current, &meta).await?;
    let hash = bcrypt.hash(new.auth_key_secret()).await?;
    let changes = new.changeset(hash);
    let revoked = db::transaction(&state.pool, move |conn| {
        diesel::update(users::table.find(user.user_id))
            .set(&changes)
            .execute(conn)?;
        let revoked = store::revoke_all_except(conn, user.user_id, Some(user.session_id))?;
        audit::record(
            conn,
            AuditKind::PasswordChanged,
            Some(user.user_id),
            Some(user.session_id),
            &meta,
            serde_json::json!({"sessions_revoked": revoked.len()}),
        )?;
        Ok(revoked)
    })
    .await?;
    state.fanout.sessions_revoked(&revoked);
    Ok(HttpResponse::NoContent().finish())
}
