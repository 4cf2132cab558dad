//! Proving knowledge of an auth key (login, password change, account deletion, recovery).
//!
//! One path for all of them: the attempt counted first (a throttle reservation, see
//! `throttle.rs`), bcrypt verify (dummy for unknown names), then settled: a success un-counts it
//! and makes the address known for the account, a failure stays counted and is audited. An
//! unknown name and a wrong key produce the same error, status and (bcrypt-dominated) time.

use crate::{
    accounts::{
        fields::AuthKey,
        models::{self, User},
        username::Username,
    },
    audit::{self, AuditKind},
    auth::{
        password::BcryptGate,
        throttle::{self, Claimant},
    },
    db,
    error::AppError,
    request::meta::RequestMeta,
    state::AppState,
};
use courier_protocol::ids::UserId;

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
    bcrypt: &BcryptGate,
    username: Username,
    key: AuthKey,
    proof: Proof,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    verify(state, bcrypt, Who::Name(username), key, proof, meta).await
}

/// Verifies `key` for a signed-in user (re-authentication before sensitive changes).
pub async fn verify_by_id(
    state: &AppState,
    bcrypt: &BcryptGate,
    id: UserId,
    key: AuthKey,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    verify(state, bcrypt, Who::Id(id), key, Proof::AuthKey, meta).await
}

async fn verify(
    state: &AppState,
    bcrypt: &BcryptGate,
    who: Who,
    key: AuthKey,
    proof: Proof,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let settings = state.settings.clone();
    let ip = meta.ip.clone();
    let (user, name, reservation) = db::transaction(&state.pool, move |conn| {
        let user = match &who {
            Who::Name(name) => models::find_by_username(conn, name.as_str())?,
            Who::Id(id) => models::find(conn, *id)?,
        };
        let name = match (&who, &user) {
            (Who::Name(n), _) => n.as_str().to_owned(),
            (Who::Id(_), Some(u)) => u.username.clone(),
            (Who::Id(_), None) => return Err(AppError::Unauthenticated("account no longer exists")),
        };
        let claimant = match (&who, &user) {
            (_, None) => Claimant::Nobody,
            (Who::Name(_), Some(u)) => Claimant::Account(u.id),
            (Who::Id(_), Some(u)) => Claimant::Session(u.id),
        };
        let reservation = throttle::reserve(conn, &settings, &name, claimant, &ip)?;
        Ok((user, name, reservation))
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
    let matched = match bcrypt.verify(key.into_secret(), hash).await {
        Ok(matched) => matched,
        Err(e) => {
            // Never evaluated (bcrypt's gate was full): the attempt must not count.
            let released = db::run(&state.pool, move |conn| {
                Ok(throttle::release(conn, reservation)?)
            })
            .await;
            if let Err(release_error) = released {
                tracing::warn!(error = ?release_error, "could not release a login reservation; it counts as a failure");
            }
            return Err(e);
        }
    };
    let meta = meta.clone();
    match user {
        Some(user) if matched => {
            let (settings, ip, id) = (state.settings.clone(), meta.ip.clone(), user.id);
            db::run(&state.pool, move |conn| {
                Ok(throttle::succeeded(
                    conn,
                    &settings,
                    reservation,
                    &name,
                    id,
                    &ip,
                )?)
            })
            .await?;
            Ok(user)
        }
        user => {
            // The reservation stays: it is the failure.
            let kind = if proof == Proof::RecoveryKey {
                AuditKind::RecoveryFailed
            } else {
                AuditKind::LoginFailed
            };
            db::run(&state.pool, move |conn| {
                audit::record(
                    conn,
                    kind,
                    user.map(|u| u.id),
                    None,
                    &meta,
                    serde_json::json!({}),
                )?;
                Ok(())
            })
            .await?;
            Err(AppError::Unauthenticated(BAD_CREDENTIALS))
        }
    }
}
