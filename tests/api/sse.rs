//! A real SSE client for the tests: reads `GET /api/events` as a byte stream; the parsing is
//! the client library's one SSE parser, [`courier_client::sse::SseParser`].

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use courier_client::sse::SseParser;

/// An event with its data decoded as JSON (kept as a string if it is not JSON).
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Option<SseEvent>>,
    task: tokio::task::JoinHandle<()>,
    /// The highest id seen, for resuming.
    pub last_id: Option<i64>,
}

pub async fn open(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    last_event_id: Option<i64>,
) -> Result<EventStream, (StatusCode, String)> {
    let mut req = client
        .get(format!("{base}/api/events"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(3600));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let res = req
        .send()
        .await
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if res.status() != StatusCode::OK {
        let status = res.status();
        return Err((status, res.text().await.unwrap_or_default()));
    }
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut body = res.bytes_stream();
        let mut parser = SseParser::default();
        while let Some(Ok(chunk)) = body.next().await {
            if parser.feed(&chunk).is_err() {
                break;
            }
            while let Some(ev) = parser.next_event() {
                let data = serde_json::from_str(&ev.data).unwrap_or(Value::String(ev.data));
                let ev = SseEvent { id: ev.id, event: ev.event, data };
                if tx.send(Some(ev)).is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(None); // the server ended the stream
    });
    Ok(EventStream {
        rx,
        task,
        last_id: last_event_id,
    })
}

impl EventStream {
    /// The next event (of any kind); `None` when the stream ended or nothing came in `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        match tokio::time::timeout(wait, self.rx.recv()).await {
            Ok(Some(Some(ev))) => {
                if let Some(id) = ev.id {
                    self.last_id = Some(id);
                }
                Some(ev)
            }
            _ => None,
        }
    }

    /// The next event of this kind, skipping others; panics after `wait`.
    pub async fn expect(&mut self, kind: &str, wait: Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(ev) if ev.event == kind => return ev,
                Some(_) => continue,
                None => panic!("no `{kind}` event within {wait:?}"),
            }
        }
    }

    /// Waits until the server ends the stream; true if it did within `wait`.
    pub async fn ended_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(Some(_))) => continue,
                Ok(Some(None)) | Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    pub fn close(self) {
        self.task.abort();
    }
}
