//! `GET /api/events`: the SSE stream. Auth by the `Authorization` header only: a token in the
//! URL would land in proxy and access logs, so one is refused outright.

use std::time::Duration;

use actix_web::{get, web, HttpRequest, Responder};
use actix_web_lab::sse::Sse;
use tokio::time::Instant;

use super::live::{Registration, Stream};
use crate::{
    auth::AuthUser,
    db,
    error::AppError,
    events::{log, outbox, resume::resume_point},
    request::{conn::ConnSocket, meta::RequestMeta},
    state::AppState,
};

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

crate::routes![events];
