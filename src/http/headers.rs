//! Security headers on every response, and `Cache-Control: no-store` on API answers (they hold
//! keys, tokens and ciphertexts that no shared or browser cache should keep).

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    http::StatusCode,
    middleware::Next,
    Error,
};

/// No inline script or style anywhere: the browser app is built to run under this. `blob:` images
/// are the attachments the app decrypted and verified itself (object URLs can only be made by the
/// page's own scripts; docs/protocol.md §11.5); `data:` images are thumbnails from inside verified
/// messages.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

const FIXED: [(&str, &str); 7] = [
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_api = {
        let path = req.path();
        path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
    };
    let request_id = req.extensions_ref_request_id();
    let res = next.call(req).await?;
    let mut res = if is_api {
        json_errors(res)
    } else {
        res.map_into_left_body()
    };
    let headers = res.headers_mut();
    for (name, value) in FIXED {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}

/// API clients always get `{code, message}`: errors produced by the framework itself (method
/// not allowed, payload limits hit before a handler runs) are rewritten into that shape.
fn json_errors<B: MessageBody>(res: ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res.map_into_left_body();
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    res.map_body(|head, _| {
        head.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        head.headers.remove(header::CONTENT_LENGTH);
        // The new body is plain: whatever encoding the old one was labelled with is gone.
        head.headers.remove(header::CONTENT_ENCODING);
        EitherBody::right(BoxBody::new(body))
    })
}

trait RequestIdExt {
    fn extensions_ref_request_id(&self) -> Option<String>;
}

impl RequestIdExt for ServiceRequest {
    fn extensions_ref_request_id(&self) -> Option<String> {
        use actix_web::HttpMessage;
        self.extensions()
            .get::<crate::telemetry::RequestId>()
            .map(|r| r.0.clone())
    }
}
