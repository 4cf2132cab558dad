//! Access tokens: HS256 JWTs, ≤ 15 minutes, naming the user (`sub`) and the session (`sid`).
//!
//! One algorithm is accepted, and `exp`, `iss`, `aud` and `sub` are required with their types
//! (jsonwebtoken ≥ 10.3 rejects an `exp` that is not a number). Refresh tokens are not JWTs at
//! all (see `refresh.rs`), so one can never pass as an access token.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Settings;
use courier_protocol::ids::{SessionId, UserId};

pub const ISSUER: &str = "courier";
pub const AUDIENCE: &str = "courier-api";
const ALGORITHM: Algorithm = Algorithm::HS256;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: u64,
    pub exp: u64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

/// What a verified access token says.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedAccess {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub expires_at: u64,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenKeys {
    pub fn new(settings: &Settings) -> Self {
        Self::from_secret(
            settings.jwt_secret.expose().as_bytes(),
            settings.access_token_ttl.as_secs(),
        )
    }

    /// The same keys from the bare secret: what the fuzz targets (crates/fuzz) build.
    pub fn from_secret(secret: &[u8], ttl_secs: u64) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    pub fn issue(&self, user: UserId, session: SessionId) -> anyhow::Result<String> {
        let iat = now_secs();
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user.0,
            sid: session.0,
            iat,
            exp: iat + self.ttl_secs,
        };
        Ok(encode(&Header::new(ALGORITHM), &claims, &self.encoding)?)
    }

    /// `None` for anything that is not a valid, unexpired access token of ours.
    pub fn verify(&self, token: &str) -> Option<VerifiedAccess> {
        let data = decode::<AccessClaims>(token, &self.decoding, &self.validation).ok()?;
        Some(VerifiedAccess {
            user_id: UserId(data.claims.sub),
            session_id: SessionId(data.claims.sid),
            expires_at: data.claims.exp,
        })
    }
}
