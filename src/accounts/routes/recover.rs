//! `POST /api/account/recover`: for a user who forgot the password but kept the recovery key.
//!
//! Step 1 (`{username, recovery_auth_key}`) proves the recovery key and returns the user key
//! wrapped under the recovery wrap key. Step 2 (the same plus new credentials) stores a new
//! password's salt, auth hash and wrap, and revokes every session. The user key, and so all
//! history, is kept. Failures count against the same limits as logins.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::NewCredentials;
use crate::{
    accounts::{
        fields::{b64, AuthKey},
        username::Username,
    },
    audit::{self, AuditKind},
    auth::{
        credentials::{self, Proof},
        password::BcryptGate,
    },
    db::{self, schema::users},
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecoverRequest {
    pub username: String,
    /// HKDF(recovery key, `courier/v1/recovery-auth`), base64.
    pub recovery_auth_key: String,
    /// Step 2 only.
    #[serde(flatten)]
    pub new: Option<NewCredentials>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoverChallenge {
    /// The user key wrapped under the recovery wrap key (AAD `courier/v1/user-key-recovery|<username>`).
    pub wrapped_user_key: String,
}

#[utoipa::path(tag = "account", request_body = RecoverRequest, responses(
    (status = 200, description = "step 1", body = RecoverChallenge),
    (status = 204, description = "step 2: password reset, every session revoked"),
    (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
#[post("/api/account/recover")]
pub async fn recover(
    state: web::Data<AppState>,
    bcrypt: web::Data<BcryptGate>,
    meta: RequestMeta,
    body: web::Json<RecoverRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let username = Username::parse(&body.username)
        .map_err(|_| AppError::Unauthenticated(credentials::BAD_CREDENTIALS))?;
    let key = AuthKey::parse("recovery_auth_key", &body.recovery_auth_key)?;
    let new = body.new.as_ref().map(NewCredentials::parse).transpose()?;
    let user =
        credentials::verify_by_name(&state, &bcrypt, username, key, Proof::RecoveryKey, &meta)
            .await?;

    let Some(new) = new else {
        let wrapped = user
            .wrapped_user_key_recovery
            .as_deref()
            .ok_or(AppError::Unauthenticated(credentials::BAD_CREDENTIALS))?;
        return Ok(HttpResponse::Ok().json(RecoverChallenge {
            wrapped_user_key: b64(wrapped),
        }));
    };
    let hash = bcrypt.hash(new.auth_key_secret()).await?;
    let changes = new.changeset(hash);
    let user_id = user.id;
    let revoked = db::transaction(&state.pool, move |conn| {
        diesel::update(users::table.find(user_id))
            .set(&changes)
            .execute(conn)?;
        let revoked = store::revoke_all_except(conn, user_id, None)?;
        audit::record(
            conn,
            AuditKind::Recovered,
            Some(user_id),
            None,
            &meta,
            serde_json::json!({"sessions_revoked": revoked.len()}),
        )?;
        Ok(revoked)
    })
    .await?;
    state.fanout.sessions_revoked(&revoked);
    Ok(HttpResponse::NoContent().finish())
}
