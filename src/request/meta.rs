//! Who is asking, for rate limits and the audit trail: client address, request id, user agent.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use crate::{config::Settings, error::AppError, telemetry::RequestId};

#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub ip: String,
    pub request_id: String,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn of(req: &HttpRequest) -> Self {
        let trust_proxy = req
            .app_data::<web::Data<Settings>>()
            .map(|s| s.trust_proxy_headers)
            .unwrap_or(false);
        // Behind our nginx, X-Real-IP is set by nginx itself; without a trusted proxy those
        // headers are client-controlled and ignored.
        let forwarded = trust_proxy
            .then(|| {
                req.headers()
                    .get("x-real-ip")
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .map(str::to_owned)
            })
            .flatten()
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        let ip = forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
            .unwrap_or_else(|| "unknown".into());
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect());
        RequestMeta {
            ip,
            request_id,
            user_agent,
        }
    }
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestMeta::of(req)))
    }
}
