//! Proving knowledge of an auth key (login, password change, account deletion, recovery).
//!
//! One path for all of them: throttle check, bcrypt verify (dummy for unknown names), failure
//! counted and audited. An unknown name and a wrong key produce the same error, status and
//! (bcrypt-dominated) time.

use crate::{
    accounts::{
        fields::AuthKey,
        models::{self, User},
        username::Username,
    },
    audit::{self, AuditKind},
    auth::throttle,
    db,
    error::AppError,
    http::meta::RequestMeta,
    ids::UserId,
    state::AppState,
};

/// Which secret is being proved.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    AuthKey,
    RecoveryKey,
}

pub const BAD_CREDENTIALS: &str = "wrong username or key";

enum Who {
    Name(Username),
    Id(UserId),
}

/// Verifies `key` for the account named `username`.
pub async fn verify_by_name(
    state: &AppState,
    username: Username,
    key: AuthKey,
    proof: Proof,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    verify(state, Who::Name(username), key, proof, meta).await
}

/// Verifies `key` for a signed-in user (re-authentication before sensitive changes).
pub async fn verify_by_id(state: &AppState, id: UserId, key: AuthKey, meta: &RequestMeta) -> Result<User, AppError> {
    verify(state, Who::Id(id), key, Proof::AuthKey, meta).await
}

async fn verify(state: &AppState, who: Who, key: AuthKey, proof: Proof, meta: &RequestMeta) -> Result<User, AppError> {
    let settings = state.settings.clone();
    let ip = meta.ip.clone();
    let (user, name) = db::run(&state.pool, move |conn| {
        let user = match &who {
            Who::Name(name) => models::find_by_username(conn, name.as_str())?,
            Who::Id(id) => models::find(conn, *id)?,
        };
        let name = match (&who, &user) {
            (Who::Name(n), _) => n.as_str().to_owned(),
            (Who::Id(_), Some(u)) => u.username.clone(),
            (Who::Id(_), None) => return Err(AppError::Unauthenticated("account no longer exists")),
        };
        throttle::check(conn, &settings, &name, &ip)?;
        Ok((user, name))
    })
    .await
    .inspect_err(|e| {
        if matches!(e, AppError::TooMany { .. }) {
            tracing::warn!(target: "audit", event = AuditKind::LoginThrottled.as_str(), ip = %meta.ip, request_id = %meta.request_id, "audit");
        }
    })?;

    let hash = user.as_ref().and_then(|u| match proof {
        Proof::AuthKey => Some(u.auth_hash.clone()),
        Proof::RecoveryKey => u.recovery_hash.clone(),
    });
    let matched = state.bcrypt.verify(key.into_secret(), hash).await?;
    match user {
        Some(user) if matched => Ok(user),
        user => {
            let meta = meta.clone();
            let kind = if proof == Proof::RecoveryKey { AuditKind::RecoveryFailed } else { AuditKind::LoginFailed };
            db::run(&state.pool, move |conn| {
                throttle::record_failure(conn, &name, &meta.ip)?;
                audit::record(conn, kind, user.map(|u| UserId(u.id)), None, &meta, serde_json::json!({}))?;
                Ok(())
            })
            .await?;
            Err(AppError::Unauthenticated(BAD_CREDENTIALS))
        }
    }
}
