//! Accounts: prelogin, registration, sign-in, token refresh, sessions, password change,
//! recovery, deletion; and looking users up.

use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{not_found, Api};
use crate::error::{ClientError, Result};
use courier_protocol::crypto::{PasswordChange, RegisterRequest};
use courier_protocol::wire::*;

impl Api {
    pub async fn prelogin(&self, username: &str) -> Result<Prelogin> {
        self.json(
            self.request(Method::POST, "/api/auth/prelogin", None)
                .json(&json!({"username": username})),
        )
        .await
    }

    pub async fn register(&self, body: &RegisterRequest) -> Result<Uuid> {
        let v: Value = self
            .json(
                self.request(Method::POST, "/api/auth/register", None)
                    .json(body),
            )
            .await?;
        v["user_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ClientError::Protocol("no user_id".into()))
    }

    /// A 401 here means wrong credentials (the server does not say which).
    pub async fn login(&self, username: &str, auth_key: &str) -> Result<LoginAnswer> {
        let body = json!({"username": username, "auth_key": auth_key, "use_cookie": false});
        self.json(
            self.request(Method::POST, "/api/auth/login", None)
                .json(&body),
        )
        .await
        .map_err(|e| match e {
            ClientError::Api { status: 401, .. } => ClientError::WrongPassword,
            other => other,
        })
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        let req = self
            .request(Method::POST, "/api/auth/refresh", None)
            .json(&json!({"refresh_token": refresh_token}));
        self.json(req).await.map_err(|e| match e {
            ClientError::Api {
                status: 401,
                message,
                ..
            } => ClientError::SessionRevoked(message),
            other => other,
        })
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        self.empty(self.request(Method::POST, "/api/auth/logout", Some(token)))
            .await
    }

    pub async fn sessions(&self, token: &str) -> Result<SessionList> {
        self.json(self.request(Method::GET, "/api/sessions", Some(token)))
            .await
    }

    pub async fn revoke_session(&self, token: &str, id: Uuid) -> Result<()> {
        self.empty(self.request(Method::DELETE, &format!("/api/sessions/{id}"), Some(token)))
            .await
    }

    pub async fn change_password(
        &self,
        token: &str,
        auth_key: &str,
        change: &PasswordChange,
    ) -> Result<()> {
        let mut body =
            serde_json::to_value(change).map_err(|e| ClientError::Protocol(e.to_string()))?;
        body["auth_key"] = json!(auth_key);
        self.empty(
            self.request(Method::POST, "/api/account/password", Some(token))
                .json(&body),
        )
        .await
    }

    /// Step 1 of recovery: proves the recovery key, answers the recovery-wrapped user key.
    pub async fn recover_challenge(
        &self,
        username: &str,
        recovery_auth_key: &str,
    ) -> Result<String> {
        let body = json!({"username": username, "recovery_auth_key": recovery_auth_key});
        let v: Value = self
            .json(
                self.request(Method::POST, "/api/account/recover", None)
                    .json(&body),
            )
            .await?;
        v["wrapped_user_key"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Protocol("no wrapped_user_key".into()))
    }

    /// Step 2 of recovery: sets the new password; every session is revoked.
    pub async fn recover_reset(
        &self,
        username: &str,
        recovery_auth_key: &str,
        change: &PasswordChange,
    ) -> Result<()> {
        let mut body =
            serde_json::to_value(change).map_err(|e| ClientError::Protocol(e.to_string()))?;
        body["username"] = json!(username);
        body["recovery_auth_key"] = json!(recovery_auth_key);
        self.empty(
            self.request(Method::POST, "/api/account/recover", None)
                .json(&body),
        )
        .await
    }

    pub async fn delete_account(&self, token: &str, auth_key: &str) -> Result<()> {
        let req = self
            .request(Method::DELETE, "/api/account", Some(token))
            .json(&json!({"auth_key": auth_key}));
        self.empty(req).await
    }

    pub async fn user_by_name(&self, token: &str, username: &str) -> Result<PublicUser> {
        let req = self
            .request(Method::GET, "/api/users", Some(token))
            .query(&[("username", username)]);
        self.json(req)
            .await
            .map_err(|e| not_found(e, format!("user {username}")))
    }

    pub async fn user_by_id(&self, token: &str, id: Uuid) -> Result<PublicUser> {
        let user: PublicUser = self
            .json(self.request(Method::GET, &format!("/api/users/{id}"), Some(token)))
            .await
            .map_err(|e| not_found(e, format!("user {id}")))?;
        // Keys are pinned under the id they were asked for: an answer about someone else is a lie.
        if user.id != id {
            return Err(ClientError::Protocol(format!(
                "asked for user {id}, the server answered about {}",
                user.id
            )));
        }
        Ok(user)
    }
}
