//! `GET /api/events`: the SSE stream. Auth by the `Authorization` header only: a token in the
//! URL would land in proxy and access logs, so one is refused outright.

use std::time::Duration;

use actix_web::{get, web, HttpRequest, Responder};
use actix_web_lab::sse::Sse;
use tokio::time::Instant;

use super::{
    log, outbox,
    stream::{Registration, Stream},
};
use crate::{
    auth::AuthUser,
    db,
    error::AppError,
    http::{conn::ConnSocket, meta::RequestMeta},
    state::AppState,
};

/// Query names that would carry a credential; refused so nobody gets used to sending one.
const TOKEN_PARAMS: [&str; 5] = ["access_token", "token", "auth", "authorization", "jwt"];

/// Where to resume: `Last-Event-ID` (what EventSource-style clients send on reconnect) or,
/// for a first connection, `?last_event_id=`.
fn resume_point(req: &HttpRequest) -> Result<i64, AppError> {
    resume_point_from(
        req.query_string(),
        req.headers().get("last-event-id").map(|v| v.as_bytes()),
    )
}

/// [`resume_point`] on the raw query string and `Last-Event-ID` bytes: pure, so the fuzz
/// targets (crates/fuzz) reach it without a request. `Ok` is always a seq ≥ 0.
pub fn resume_point_from(query: &str, last_event_id: Option<&[u8]>) -> Result<i64, AppError> {
    let query = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|_| AppError::bad("invalid_query", "malformed query string"))?;
    if query
        .iter()
        .any(|(k, _)| TOKEN_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
    {
        return Err(AppError::bad(
            "token_in_url",
            "send the token in the Authorization header, never in the URL",
        ));
    }
    let from_header =
        last_event_id.map(|v| std::str::from_utf8(v).unwrap_or("x").trim().to_owned());
    let from_query = query
        .iter()
        .find(|(k, _)| k == "last_event_id")
        .map(|(_, v)| v.trim().to_owned());
    match from_header.or(from_query).filter(|v| !v.is_empty()) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::bad(
                "invalid_last_event_id",
                "Last-Event-ID must be a non-negative integer",
            )
        }),
    }
}

#[utoipa::path(tag = "events", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this seq"),
           ("last_event_id" = Option<i64>, Query, description = "resume point for a first connection")),
    responses((status = 200, description = "text/event-stream of events (see the README)", content_type = "text/event-stream"),
              (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 429, description = "too many streams for this user or this address", body = crate::error::ErrorBody)))]
#[get("/api/events")]
pub async fn events(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
) -> Result<impl Responder, AppError> {
    let after = resume_point(&req)?;
    if state.hub.is_draining() {
        // nginx retries a 503 on another instance (proxy_next_upstream http_503).
        return Err(AppError::Unavailable(anyhow::anyhow!(
            "instance is draining"
        )));
    }
    let uid = user.user_id;
    let head = db::run(&state.pool, move |conn| Ok(log::last_seq(conn, uid)?)).await?;
    if after > head {
        return Err(AppError::bad(
            "invalid_last_event_id",
            format!("Last-Event-ID {after} is beyond this log (at {head})"),
        ));
    }
    let address = RequestMeta::of(&req).ip;
    crate::presence::stream_opening(&state, uid, &address).await?;

    let (handle, wakes) = state.hub.register(uid, user.session_id);
    let registration = Registration {
        state: state.clone(),
        handle: handle.clone(),
        address,
    };
    // Over HTTP/1.1 a stalled stream is cut off by closing its connection, which carries
    // nothing else. Over HTTP/2 the connection may carry the client's other requests (a
    // browser shares one across tabs): the stream's queue is freed and the stream reset when
    // the client next reads, while HTTP/2 flow control bounds what waits meanwhile.
    let socket = (req.version() != actix_web::http::Version::HTTP_2)
        .then(|| req.conn_data::<ConnSocket>().copied())
        .flatten();
    let settings = &state.settings;
    let (out, body) = outbox::outbox(
        settings.stream_buffer_bytes,
        settings.stream_queue,
        socket,
        registration,
    );
    let remaining = user
        .expires_at
        .saturating_sub(crate::auth::tokens::now_secs());
    let stream = Stream {
        state: state.clone(),
        handle,
        wakes,
        out,
        last: after,
        deadline: Instant::now() + Duration::from_secs(remaining),
        live: false,
    };
    actix_web::rt::spawn(stream.run());
    Ok(Sse::from_stream(body)
        .with_keep_alive(state.settings.heartbeat)
        .with_retry_duration(Duration::from_secs(2)))
}
