//! `GET /api/events` as a stream of parsed Server-Sent Events.
//!
//! Policy: the access token goes in the `Authorization` header, the resume point in
//! `Last-Event-ID`; nothing secret in the URL. This layer only parses; resuming, refreshing
//! and de-duplicating by id are the caller's job ([`super::listen`]).

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;

use super::api::{api_error, Api};
use super::error::{ClientError, Result};

/// One event: `id` for persistent events, `event` its type, `data` the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: String,
}

/// The SSE wire format, apart from the network: bytes in (any chunking), events out. What the
/// server sends is untrusted input, so this never panics and never holds more than
/// [`MAX_PENDING`] bytes of an unfinished line.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    id: Option<i64>,
    event: String,
    data: Option<String>,
}

/// The longest line (or event) the client buffers: a message event is at most ~200 KiB.
pub const MAX_PENDING: usize = 4 * 1024 * 1024;

impl SseParser {
    /// Adds received bytes; `Err` if an unfinished line would exceed [`MAX_PENDING`].
    pub fn feed(&mut self, chunk: &[u8]) -> std::result::Result<(), usize> {
        self.buf.extend_from_slice(chunk);
        let pending = self.buf.len() + self.data.as_ref().map_or(0, String::len);
        if pending > MAX_PENDING && !self.buf.contains(&b'\n') {
            return Err(pending);
        }
        Ok(())
    }

    /// The next complete event in what was fed, if any. Comments (heartbeats) and `retry:`
    /// lines are skipped; an event without `data` is dropped, as EventSource does.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                let (id, event) = (self.id.take(), std::mem::take(&mut self.event));
                if let Some(data) = self.data.take() {
                    return Some(SseEvent {
                        id,
                        event: if event.is_empty() {
                            "message".into()
                        } else {
                            event
                        },
                        data,
                    });
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "id" => self.id = value.trim().parse().ok(),
                "event" => self.event = value.to_owned(),
                "data" => match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        None
    }
}

/// An open stream.
pub struct EventStream {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    parser: SseParser,
    api: Api,
}

impl EventStream {
    /// Opens the stream after `last_event_id` (0 = from the beginning of the log).
    pub async fn connect(api: &Api, token: &str, last_event_id: i64) -> Result<Self> {
        let req = api
            .http()
            .get(api.url("/api/events"))
            .bearer_auth(token)
            .header("Accept", "text/event-stream")
            .header("Last-Event-ID", last_event_id.to_string())
            // The stream lives until the token expires; only the connect is bounded.
            .timeout(Duration::from_secs(24 * 3600));
        let res = req.send().await.map_err(|e| api.unreachable(e))?;
        if res.status() != StatusCode::OK {
            return Err(api_error(res).await);
        }
        Ok(Self {
            body: res.bytes_stream().map(|r| r.map(|b| b.to_vec())).boxed(),
            parser: SseParser::default(),
            api: api.clone(),
        })
    }

    /// The next event; `Ok(None)` when the server ended the stream. Comments (heartbeats)
    /// and `retry:` lines are skipped. `idle` bounds the wait for any bytes at all: the server
    /// sends a heartbeat every 15 s, so silence longer than that means a dead connection.
    pub async fn next(&mut self, idle: Duration) -> Result<Option<SseEvent>> {
        loop {
            if let Some(event) = self.parser.next_event() {
                return Ok(Some(event));
            }
            match tokio::time::timeout(idle, self.body.next()).await {
                Err(_) => {
                    return Err(ClientError::Unreachable {
                        url: self.api.base().into(),
                        reason: format!("event stream silent for {idle:?}"),
                    })
                }
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(self.api.unreachable(e)),
                Ok(Some(Ok(chunk))) => {
                    if let Err(pending) = self.parser.feed(&chunk) {
                        return Err(ClientError::Unreachable {
                            url: self.api.base().into(),
                            reason: format!(
                                "event stream sent {pending} bytes without ending a line"
                            ),
                        });
                    }
                }
            }
        }
    }
}
