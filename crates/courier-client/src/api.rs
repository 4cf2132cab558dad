//! The raw HTTPS API: one method per endpoint, a bearer token passed in where needed, the
//! server's `{code, message}` errors turned into [`ClientError`]. No state, no retries: token
//! refresh lives in [`super::session`].
//!
//! Policy: TLS certificates are verified against the system roots (webpki), plus an extra CA
//! when one is given. Turning verification off is possible only through [`Tls::Insecure`],
//! which the CLI exposes as a loud `--insecure` for self-signed test servers. Tokens only ever
//! travel in the `Authorization` header.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RANGE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::{ClientError, Result};
use courier_protocol::crypto::{Envelope, PasswordChange, RegisterRequest};
use courier_protocol::wire::*;

/// How to check the server's certificate.
#[derive(Debug, Clone)]
pub enum Tls {
    /// The platform's web PKI roots (the default).
    Verify,
    /// Also trust this CA certificate (PEM), e.g. the server's self-signed one.
    ExtraCa(Vec<u8>),
    /// Accept any certificate. For local test servers only.
    Insecure,
}

/// A stateless handle on one server.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

const USER_AGENT: &str = concat!("courier-cli/", env!("CARGO_PKG_VERSION"));

impl Api {
    pub fn new(server: &str, tls: &Tls) -> Result<Self> {
        let base = server.trim_end_matches('/').to_owned();
        if !base.starts_with("https://") {
            return Err(ClientError::Usage(format!(
                "server must be an https:// URL (got {base:?}); Courier never talks plain HTTP"
            )));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30))
            // A redirect would resend credentials (auth key, refresh token) elsewhere, maybe
            // over plain HTTP: the API never redirects, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true);
        match tls {
            Tls::Verify => {}
            Tls::ExtraCa(pem) => {
                let cert = reqwest::Certificate::from_pem(pem).map_err(|e| {
                    ClientError::Usage(format!("--ca-cert: not a PEM certificate: {e}"))
                })?;
                builder = builder.add_root_certificate(cert);
            }
            Tls::Insecure => builder = builder.danger_accept_invalid_certs(true),
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Usage(format!("HTTP client: {e}")))?;
        Ok(Self { base, http })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self
            .http
            .request(method, self.url(path))
            .timeout(Duration::from_secs(60));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends, mapping transport failures and error statuses.
    pub(crate) async fn send(&self, req: RequestBuilder) -> Result<Response> {
        let res = req.send().await.map_err(|e| self.unreachable(e))?;
        if res.status().is_success() {
            Ok(res)
        } else {
            Err(api_error(res).await)
        }
    }

    pub(crate) fn unreachable(&self, e: reqwest::Error) -> ClientError {
        // The chain holds the useful part ("certificate unknown issuer", "connection refused").
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        ClientError::Unreachable {
            url: self.base.clone(),
            reason,
        }
    }

    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let res = self.send(req).await?;
        let text = res.text().await.map_err(|e| self.unreachable(e))?;
        // Never echo the body: an answer we failed to parse may still carry tokens or keys.
        serde_json::from_str(&text)
            .map_err(|e| ClientError::Protocol(format!("unexpected answer from the server ({e})")))
    }

    async fn empty(&self, req: RequestBuilder) -> Result<()> {
        self.send(req).await.map(drop)
    }

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

    pub async fn conversations(&self, token: &str) -> Result<Vec<Conversation>> {
        let list: ConversationList = self
            .json(self.request(Method::GET, "/api/conversations", Some(token)))
            .await?;
        Ok(list.conversations)
    }

    pub async fn conversation(&self, token: &str, id: Uuid) -> Result<Conversation> {
        self.json(self.request(
            Method::GET,
            &format!("/api/conversations/{id}"),
            Some(token),
        ))
        .await
        .map_err(|e| not_found(e, format!("conversation {id}")))
    }

    /// A direct conversation (one other member, no title; the existing one if any) or a group.
    pub async fn create_conversation(
        &self,
        token: &str,
        members: &[Uuid],
        title: Option<&str>,
    ) -> Result<Conversation> {
        let mut body = json!({"member_ids": members});
        if let Some(t) = title {
            body["title"] = json!(t);
            body["kind"] = json!("group");
        }
        self.json(
            self.request(Method::POST, "/api/conversations", Some(token))
                .json(&body),
        )
        .await
    }

    pub async fn add_member(
        &self,
        token: &str,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Conversation> {
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/members"),
                Some(token),
            )
            .json(&json!({"user_id": user}));
        self.json(req).await
    }

    pub async fn remove_member(&self, token: &str, conversation: Uuid, user: Uuid) -> Result<()> {
        let path = format!("/api/conversations/{conversation}/members/{user}");
        self.empty(self.request(Method::DELETE, &path, Some(token)))
            .await
    }

    /// Posts an envelope; `attachment_ids` (complete uploads of ours, at most 10) are what
    /// lets the recipients fetch the attachments the content describes (§8.4).
    pub async fn post_message(
        &self,
        token: &str,
        conversation: Uuid,
        envelope: &Envelope,
        attachment_ids: &[Uuid],
    ) -> Result<Posted> {
        let mut body = json!({"envelope": envelope});
        if !attachment_ids.is_empty() {
            body["attachment_ids"] = json!(attachment_ids);
        }
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/messages"),
                Some(token),
            )
            .json(&body);
        self.json(req).await
    }

    pub async fn history(
        &self,
        token: &str,
        conversation: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<MessageItem>> {
        let range = HistoryRange { before, since: None, until: None, limit };
        self.history_range(token, conversation, &range).await
    }

    /// A history page by server time (`since`/`until`, ms) and/or position (`before`).
    pub async fn history_range(
        &self,
        token: &str,
        conversation: Uuid,
        range: &HistoryRange,
    ) -> Result<Vec<MessageItem>> {
        let mut query = vec![("limit", range.limit.to_string())];
        for (name, value) in [
            ("before", range.before),
            ("since", range.since),
            ("until", range.until),
        ] {
            if let Some(v) = value {
                query.push((name, v.to_string()));
            }
        }
        let req = self
            .request(
                Method::GET,
                &format!("/api/conversations/{conversation}/messages"),
                Some(token),
            )
            .query(&query);
        let page: History = self.json(req).await?;
        Ok(page.messages)
    }

    pub async fn receipt(
        &self,
        token: &str,
        conversation: Uuid,
        status: &str,
        up_to: Uuid,
    ) -> Result<()> {
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/receipts"),
                Some(token),
            )
            .json(&json!({"status": status, "up_to": up_to}));
        self.empty(req).await
    }

    /// `POST /api/attachments`: starts an upload of `length` ciphertext bytes and sends
    /// `first` (the first piece, possibly all of it) with it (§8.4).
    pub async fn start_upload(
        &self,
        token: &str,
        length: u64,
        first: Bytes,
        timeout: Duration,
        progress: Option<PieceProgress>,
    ) -> Result<UploadState> {
        let len = first.len();
        let req = self
            .raw(Method::POST, "/api/attachments", token)
            .timeout(timeout)
            .header("Upload-Length", length.to_string())
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len.to_string())
            .body(counted_body(first, progress));
        self.json(req).await
    }

    /// `PATCH /api/attachments/{id}`: appends `body` at `offset`. A `409 offset_mismatch`
    /// is not an error here but the server's offset ([`Appended::Moved`]).
    pub async fn append_upload(
        &self,
        token: &str,
        id: Uuid,
        offset: u64,
        body: Bytes,
        timeout: Duration,
        progress: Option<PieceProgress>,
    ) -> Result<Appended> {
        let len = body.len();
        let req = self
            .raw(Method::PATCH, &format!("/api/attachments/{id}"), token)
            .timeout(timeout)
            .header("Upload-Offset", offset.to_string())
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .header(CONTENT_LENGTH, len.to_string())
            .body(counted_body(body, progress));
        let res = req.send().await.map_err(|e| self.unreachable(e))?;
        if res.status() == StatusCode::CONFLICT {
            if let Some(offset) = upload_offset(&res) {
                return Ok(Appended::Moved(offset));
            }
        }
        if !res.status().is_success() {
            return Err(api_error(res).await);
        }
        let text = res.text().await.map_err(|e| self.unreachable(e))?;
        serde_json::from_str(&text)
            .map(Appended::Done)
            .map_err(|e| ClientError::Protocol(format!("unexpected answer from the server ({e})")))
    }

    /// `HEAD /api/attachments/{id}`: the bytes of our upload the server has committed.
    pub async fn upload_offset(&self, token: &str, id: Uuid) -> Result<u64> {
        let req = self.request(Method::HEAD, &format!("/api/attachments/{id}"), Some(token));
        let res = self.send(req).await?;
        upload_offset(&res)
            .ok_or_else(|| ClientError::Protocol("HEAD answered no Upload-Offset".into()))
    }

    /// `GET /api/attachments/{id}` from byte `from` on (a `Range` request when `from > 0`).
    /// Answers the response with its body unread; no overall timeout (the caller times the
    /// gaps between pieces of the body instead), so a large file is not cut short.
    pub async fn fetch_attachment(&self, token: &str, id: Uuid, from: u64) -> Result<Response> {
        let mut req = self
            .raw(Method::GET, &format!("/api/attachments/{id}"), token)
            .header(ACCEPT_ENCODING, "identity");
        if from > 0 {
            req = req.header(RANGE, format!("bytes={from}-"));
        }
        self.send(req).await
    }

    /// `DELETE /api/attachments/{id}` (uploader).
    pub async fn delete_attachment(&self, token: &str, id: Uuid) -> Result<()> {
        self.empty(self.request(
            Method::DELETE,
            &format!("/api/attachments/{id}"),
            Some(token),
        ))
        .await
    }

    /// A request without the default 60 s overall timeout (bodies of megabytes).
    fn raw(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// Generic call for anything else; the body is serialised as JSON when given.
    pub async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&B>,
    ) -> Result<Value> {
        let mut req = self.request(method, path, Some(token));
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = self.send(req).await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        res.json()
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }
}

/// What a `PATCH` did: appended, or refused because the server is elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The body is committed; the upload as it now is.
    Done(UploadState),
    /// `409 offset_mismatch`: the server has this many bytes, not the `Upload-Offset` sent.
    Moved(u64),
}

/// Told how many bytes of the current body have been handed to the connection so far.
pub type PieceProgress = Arc<dyn Fn(u64) + Send + Sync>;

/// Slices of a request body, so progress moves while a piece of megabytes is on its way.
const BODY_SLICE: usize = 64 * 1024;

fn counted_body(bytes: Bytes, progress: Option<PieceProgress>) -> reqwest::Body {
    let Some(progress) = progress else {
        return reqwest::Body::from(bytes);
    };
    let slices: Vec<Bytes> = (0..bytes.len())
        .step_by(BODY_SLICE)
        .map(|start| bytes.slice(start..(start + BODY_SLICE).min(bytes.len())))
        .collect();
    let mut sent = 0u64;
    reqwest::Body::wrap_stream(futures_util::stream::iter(slices).map(move |slice| {
        sent += slice.len() as u64;
        progress(sent);
        Ok::<_, std::io::Error>(slice)
    }))
}

fn upload_offset(res: &Response) -> Option<u64> {
    res.headers()
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn not_found(e: ClientError, what: String) -> ClientError {
    match e {
        ClientError::Api { status: 404, .. } => ClientError::NotFound(what),
        other => other,
    }
}

/// Turns an error answer into a [`ClientError`], keeping the server's code and message.
pub(crate) async fn api_error(res: Response) -> ClientError {
    let status = res.status();
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let code = body["code"].as_str().unwrap_or("unknown").to_owned();
    let message = body["message"].as_str().unwrap_or("").to_owned();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ClientError::RateLimited { retry_after };
    }
    ClientError::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

/// The query of [`Api::history_range`] (docs/protocol.md §8.3).
#[derive(Debug, Clone, Copy)]
pub struct HistoryRange {
    /// Only positions below this.
    pub before: Option<i64>,
    /// Server time, ms since the epoch: stored at or after.
    pub since: Option<i64>,
    /// Server time, ms since the epoch: stored before.
    pub until: Option<i64>,
    /// 1–200.
    pub limit: u32,
}
