//! A signed-in session: the API plus tokens that refresh themselves.
//!
//! Policy: the access token is refreshed shortly before it expires ([`REFRESH_MARGIN`]) and
//! once more when the server answers 401 (revoked or clock skew); a 401 on refresh means the
//! session is over and surfaces as [`ClientError::SessionRevoked`]. When the session is
//! persisted, refreshing happens under the config folder's lock and first re-reads the file:
//! another process may already have rotated the token, and spending the old one would revoke
//! the session (reuse detection).

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Mutex;
use uuid::Uuid;

use super::api::Api;
use super::error::{ClientError, Result};
use super::store::{SavedSession, Store};
use courier_protocol::wire::{LoginAnswer, TokenPair};

/// Refresh this many seconds before the access token expires (a quarter of its life when it
/// lives less than four minutes, as in tests).
pub const REFRESH_MARGIN: u64 = 60;

fn margin(ttl: u64) -> u64 {
    (ttl / 4).clamp(1, REFRESH_MARGIN)
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    expires_at: u64,
    refresh: String,
    /// Lifetime of access tokens, seconds (from `expires_in`).
    ttl: u64,
}

impl Tokens {
    /// When to stop using this access token and get a new one.
    fn renew_at(&self) -> u64 {
        self.expires_at.saturating_sub(margin(self.ttl))
    }

    fn fresh(&self) -> bool {
        now_secs() < self.renew_at()
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct Session {
    api: Api,
    pub user_id: Uuid,
    pub username: String,
    pub session_id: Uuid,
    tokens: Mutex<Tokens>,
    store: Option<Store>,
}

impl Session {
    /// A session from a login answer; kept in memory only unless `store` is given.
    pub fn from_login(api: Api, login: &LoginAnswer, store: Option<Store>) -> Result<Self> {
        let refresh = login
            .refresh_token
            .clone()
            .ok_or_else(|| ClientError::Protocol("login answered no refresh token".into()))?;
        let session = Self {
            api,
            user_id: login.user.id,
            username: login.user.username.clone(),
            session_id: login.session_id,
            tokens: Mutex::new(Tokens {
                access: login.access_token.clone(),
                expires_at: now_secs() + login.expires_in,
                refresh,
                ttl: login.expires_in,
            }),
            store,
        };
        if let Some(store) = &session.store {
            store.save_session(
                &session.saved(&session.tokens.try_lock().expect("fresh mutex").clone()),
            )?;
        }
        Ok(session)
    }

    /// The session stored in the config folder. `api` must point at the server it was made
    /// with: its tokens are never sent anywhere else.
    pub fn resume(api: Api, store: Store) -> Result<Self> {
        let saved = store.session()?.ok_or(ClientError::NotLoggedIn)?;
        if saved.server.trim_end_matches('/') != api.base() {
            return Err(ClientError::Usage(format!(
                "you are logged in to {}, not {}: log in there first (or use another --config-dir)",
                saved.server,
                api.base()
            )));
        }
        Ok(Self {
            api,
            user_id: saved.user_id,
            username: saved.username,
            session_id: saved.session_id,
            tokens: Mutex::new(Tokens {
                access: saved.access_token,
                expires_at: saved.access_expires_at,
                refresh: saved.refresh_token,
                ttl: saved.access_ttl,
            }),
            store: Some(store),
        })
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    fn saved(&self, t: &Tokens) -> SavedSession {
        SavedSession {
            server: self.api.base().to_owned(),
            user_id: self.user_id,
            username: self.username.clone(),
            session_id: self.session_id,
            refresh_token: t.refresh.clone(),
            access_token: t.access.clone(),
            access_expires_at: t.expires_at,
            access_ttl: t.ttl,
        }
    }

    /// A valid access token and the unix second to renew it at, refreshing if needed.
    pub async fn access_token(&self) -> Result<(String, u64)> {
        let tokens = self.tokens.lock().await;
        if tokens.fresh() {
            return Ok((tokens.access.clone(), tokens.renew_at()));
        }
        drop(tokens);
        self.refresh(None).await
    }

    /// Refreshes unless someone else already did since `stale` was handed out.
    pub async fn refresh(&self, stale: Option<&str>) -> Result<(String, u64)> {
        let mut tokens = self.tokens.lock().await;
        if stale.is_some_and(|s| s != tokens.access) && tokens.fresh() {
            return Ok((tokens.access.clone(), tokens.renew_at()));
        }
        let Some(store) = &self.store else {
            let pair = self.api.refresh(&tokens.refresh).await?;
            apply(&mut tokens, pair)?;
            return Ok((tokens.access.clone(), tokens.renew_at()));
        };
        let lock = store.lock_session()?;
        // Another process may have rotated the tokens while we waited for the lock.
        if let Some(saved) = store.session()?.filter(|s| s.session_id == self.session_id) {
            if saved.refresh_token != tokens.refresh {
                tokens.refresh = saved.refresh_token;
                tokens.access = saved.access_token;
                tokens.expires_at = saved.access_expires_at;
                tokens.ttl = saved.access_ttl;
                if tokens.fresh() && stale != Some(tokens.access.as_str()) {
                    return Ok((tokens.access.clone(), tokens.renew_at()));
                }
            }
        }
        let pair = self.api.refresh(&tokens.refresh).await?;
        apply(&mut tokens, pair)?;
        store.save_session(&self.saved(&tokens))?;
        drop(lock);
        Ok((tokens.access.clone(), tokens.renew_at()))
    }

    /// Runs one API call with a fresh token; on a 401 refreshes once and tries again. The
    /// closure gets its own `Api` handle (cheap: a shared connection pool) and token, so the
    /// future it returns borrows nothing from the session and can be spawned.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: Fn(Api, String) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let (token, _) = self.access_token().await?;
        match f(self.api.clone(), token.clone()).await {
            Err(ClientError::Api {
                status: 401,
                message,
                ..
            }) => {
                let (token, _) = self.refresh(Some(&token)).await.map_err(|e| match e {
                    ClientError::SessionRevoked(m) => {
                        ClientError::SessionRevoked(format!("{message}; {m}"))
                    }
                    other => other,
                })?;
                f(self.api.clone(), token).await.map_err(|e| match e {
                    ClientError::Api {
                        status: 401,
                        message,
                        ..
                    } => ClientError::SessionRevoked(message),
                    other => other,
                })
            }
            other => other,
        }
    }

    /// Forgets the stored session (after logout, or when the server says it is revoked).
    pub fn forget(&self) -> Result<()> {
        match &self.store {
            Some(s) => s.clear_session(),
            None => Ok(()),
        }
    }
}

fn apply(tokens: &mut Tokens, pair: TokenPair) -> Result<()> {
    tokens.refresh = pair
        .refresh_token
        .ok_or_else(|| ClientError::Protocol("refresh answered no refresh token".into()))?;
    tokens.access = pair.access_token;
    tokens.expires_at = now_secs() + pair.expires_in;
    tokens.ttl = pair.expires_in;
    Ok(())
}
