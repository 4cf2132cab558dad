//! `AuthUser`: a handler that needs a signed-in user says so in its signature.
//!
//! The bearer token must verify, and its session must still be live in the database, so
//! logout, revocation and password change take effect at once rather than at token expiry.

use std::{
    future::{ready, Future, Ready},
    pin::Pin,
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::{
    auth::tokens::{TokenKeys, VerifiedAccess},
    db,
    error::AppError,
    sessions::store,
    state::AppState,
};
use courier_protocol::ids::{SessionId, UserId};

#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// Unix seconds at which the access token expires (streams end then).
    pub expires_at: u64,
}

/// Reads and verifies the bearer token without touching the database.
pub fn bearer(req: &HttpRequest, tokens: &TokenKeys) -> Result<VerifiedAccess, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthenticated("missing bearer token"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AppError::Unauthenticated("missing bearer token"))?;
    tokens
        .verify(token.trim())
        .ok_or(AppError::Unauthenticated("invalid or expired token"))
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?
                .clone();
            let tokens = req
                .app_data::<web::Data<TokenKeys>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("TokenKeys missing")))?;
            let access = bearer(&req, tokens)?;
            let (user, session) = (access.user_id, access.session_id);
            let live = db::run(&state.pool, move |conn| {
                Ok(store::is_active(conn, user, session)?)
            })
            .await?;
            if !live {
                return Err(AppError::Unauthenticated("session revoked"));
            }
            Ok(AuthUser {
                user_id: user,
                session_id: session,
                expires_at: access.expires_at,
            })
        })
    }
}

/// A verified bearer token whose session is *not* checked yet: only for a handler that checks
/// it itself, in the same statement as its work (posting a message takes one round trip to the
/// database instead of two). Everything else takes [`AuthUser`].
#[derive(Clone, Copy, Debug)]
pub struct SessionToCheck {
    pub user_id: UserId,
    pub session_id: SessionId,
}

impl FromRequest for SessionToCheck {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = match req.app_data::<web::Data<TokenKeys>>() {
            Some(tokens) => bearer(req, tokens),
            None => Err(AppError::Internal(anyhow::anyhow!("TokenKeys missing"))),
        };
        ready(verified.map(|access| SessionToCheck {
            user_id: access.user_id,
            session_id: access.session_id,
        }))
    }
}
