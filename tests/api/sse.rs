//! A real SSE client for the tests: reads `GET /api/events` as a byte stream and parses events.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

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
        let mut buf = String::new();
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(pos) = buf.find('\n') {
                let line = buf[..pos].trim_end_matches('\r').to_owned();
                buf.drain(..=pos);
                if line.is_empty() {
                    if !data.is_empty() {
                        let value =
                            serde_json::from_str(&data).unwrap_or(Value::String(data.clone()));
                        let ev = SseEvent {
                            id: id.take(),
                            event: std::mem::take(&mut event),
                            data: value,
                        };
                        if tx.send(Some(ev)).is_err() {
                            return;
                        }
                    }
                    data.clear();
                    event.clear();
                    id = None;
                } else if let Some(v) = line.strip_prefix("data:") {
                    if !data.is_empty() {
                        data.push('\n');
                    }
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
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
