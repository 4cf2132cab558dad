//! The raw HTTPS API: one method per endpoint, a bearer token passed in where needed, the
//! server's `{code, message}` errors turned into [`ClientError`]. No state, no retries: token
//! refresh lives in [`super::session`].
//!
//! Policy: TLS certificates are verified against the system roots (webpki), plus an extra CA
//! when one is given. Turning verification off is possible only through [`Tls::Insecure`],
//! which the CLI exposes as a loud `--insecure` for self-signed test servers. Tokens only ever
//! travel in the `Authorization` header.
//!
//! The endpoints are grouped by what they serve: [`account`] (sign-in, sessions, users),
//! [`conversations`] (conversations, messages, receipts), [`attachments`] (uploads, downloads).

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::error::{ClientError, Result};

mod account;
mod attachments;
mod conversations;

pub use attachments::{Appended, PieceProgress};
pub use conversations::HistoryRange;

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
