//! Structured JSON logs. Policy: no password, auth key, token, key material or message content
//! ever goes into a log line; request paths are logged without their query string.

use actix_web::{
    dev::{ServiceRequest, ServiceResponse},
    Error, HttpMessage,
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::{
    fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter,
};

/// Installs the global JSON subscriber writing to `writer` (stdout in production; tests capture).
pub fn init<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer),
        )
        .try_init();
}

/// The id of a request: nginx's `X-Request-Id` when it is sane, else a fresh one.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn from_request(req: &ServiceRequest) -> Self {
        let incoming = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 64
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        RequestId(
            incoming
                .map(str::to_owned)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        )
    }
}

/// Root span per request: method, path without the query string, request id, status.
pub struct CourierRootSpan;

impl RootSpanBuilder for CourierRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = RequestId::from_request(request);
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id.0,
            status = tracing::field::Empty,
        );
        request.extensions_mut().insert(request_id);
        span
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        if let Ok(response) = outcome {
            let status = response.status().as_u16();
            span.record("status", status);
            span.in_scope(|| tracing::info!(status, "request finished"));
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
