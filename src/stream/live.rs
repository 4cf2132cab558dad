//! One SSE stream: replay from the log, then live. Runs as its own task, owns the stream's
//! last delivered seq, and ends when the client goes, stops reading, its token expires, its
//! session is revoked or the instance drains. A client that stops reading is cut off: its
//! queue is freed and its connection closed (see `outbox`).

use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use actix_web::web;
use actix_web_lab::sse;
use tokio::{sync::mpsc, time::Instant};

use crate::{
    db,
    events::{
        hub::{StreamHandle, Wake},
        log,
        outbox::{Outbox, Refused},
        Payload,
    },
    sessions::store,
    state::AppState,
};

/// A stream's place in this instance's hub and in the cluster-wide caps and presence. It is
/// owned by the response body, so it is released when the connection is gone, not when the
/// stream's task ends: a stalled connection keeps counting against the caps until it closes.
pub struct Registration {
    pub state: web::Data<AppState>,
    pub handle: Arc<StreamHandle>,
    pub address: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let left = self.state.hub.unregister(&self.handle);
        let (state, user, address) = (
            self.state.clone(),
            self.handle.user,
            std::mem::take(&mut self.address),
        );
        // No runtime only while the process is exiting: the instance's presence rows then go
        // with it (drain, or the reaper).
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(
                async move { crate::presence::stream_closed(&state, user, &address, left).await },
            );
        }
    }
}

pub struct Stream {
    pub state: web::Data<AppState>,
    pub handle: Arc<StreamHandle>,
    pub wakes: mpsc::Receiver<Wake>,
    pub out: Outbox,
    pub last: i64,
    pub deadline: Instant,
    /// Set after the first replay: from then on a message event is a live delivery, and its
    /// commit-to-write time goes into the delivery latency histogram.
    pub live: bool,
}

/// Why a stream stopped sending (logged at debug; the client just reconnects).
#[derive(Debug)]
enum End {
    ClientGone,
    TooSlow,
    Revoked,
    Expired,
    Closed,
    Database,
}

impl Stream {
    pub async fn run(mut self) {
        let end = self.serve().await;
        tracing::debug!(user = %self.handle.user, reason = ?end, "stream ended");
        if let End::TooSlow = end {
            self.state.metrics.streams_cut.inc();
            self.out.kill();
        }
        // Dropping the outbox ends the response once what is queued has gone out; the
        // registration goes with the connection.
    }

    async fn serve(&mut self) -> End {
        self.handle.delivered.store(self.last, Ordering::Release);
        if let Err(end) = self.catch_up().await {
            return end;
        }
        self.live = true;
        let ready = format!("{{\"last_seq\":{}}}", self.last);
        let size = ready.len();
        if let Err(end) = self
            .send(sse::Data::new(ready).event("ready").into(), size)
            .await
        {
            return end;
        }
        loop {
            let wake = tokio::select! {
                () = self.out.closed() => return End::ClientGone,
                _ = tokio::time::sleep_until(self.deadline) => return End::Expired,
                wake = self.wakes.recv() => wake,
            };
            let step = match wake {
                None | Some(Wake::Close) => return End::Closed,
                Some(Wake::CatchUp) => self.catch_up().await,
                Some(Wake::Ephemeral(data)) => {
                    self.send(
                        sse::Data::new(data.json.to_string())
                            .event(data.kind.as_str())
                            .into(),
                        data.json.len(),
                    )
                    .await
                }
                Some(Wake::Event { seq, payload }) if seq <= self.last => {
                    let _ = payload;
                    Ok(())
                }
                Some(Wake::Event {
                    seq,
                    payload: Some(payload),
                }) if seq == self.last + 1 => self.send_event(seq, &payload).await,
                Some(Wake::Event { .. }) => self.catch_up().await,
            };
            if let Err(end) = step {
                return end;
            }
            if self.state.hub.is_draining() {
                return End::Closed;
            }
            // Events that arrived while a catch-up ran were only flagged: read again until none did.
            while self.handle.take_lagged() {
                if let Err(end) = self.catch_up().await {
                    return end;
                }
            }
        }
    }

    /// Sends everything in the log after `last`, page by page; also re-checks the session so
    /// a revocation whose wake-up was lost still ends the stream.
    async fn catch_up(&mut self) -> Result<(), End> {
        loop {
            let (user, session, after) = (self.handle.user, self.handle.session, self.last);
            let page = db::run(&self.state.pool, move |conn| {
                if !store::is_active(conn, user, session)? {
                    return Ok(None);
                }
                Ok(Some(log::replay(conn, user, after, log::REPLAY_PAGE)?))
            })
            .await
            .map_err(|_| End::Database)?
            .ok_or(End::Revoked)?;
            let full = page.len() as i64 == log::REPLAY_PAGE;
            for (seq, payload) in page {
                self.send_event(seq, &payload).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn send_event(&mut self, seq: i64, payload: &Payload) -> Result<(), End> {
        let json = payload.render();
        let size = json.len();
        let data = sse::Data::new(json)
            .event(payload.kind().as_str())
            .id(seq.to_string());
        self.send(data.into(), size).await?;
        self.last = seq;
        self.handle.delivered.store(seq, Ordering::Release);
        self.state.metrics.events_delivered.inc();
        if self.live {
            if let Some(ts) = payload.server_ts() {
                let age = chrono::Utc::now().timestamp_millis() - ts;
                self.state
                    .metrics
                    .delivery_latency
                    .observe(age.max(0) as f64 / 1000.0);
            }
        }
        Ok(())
    }

    /// Queues one event of `size` bytes. The queue is bounded in bytes: a client that has not
    /// made room within the stall timeout is cut off (it resumes later from its last id)
    /// instead of growing memory. While waiting, wake-ups carry no payloads (see the hub).
    async fn send(&mut self, event: sse::Event, size: usize) -> Result<(), End> {
        let event = match self.out.try_send(event, size) {
            Ok(()) => return Ok(()),
            Err((_, Refused::Gone)) => return Err(End::ClientGone),
            Err((event, Refused::Full)) => event,
        };
        let stall: Duration = self.state.settings.stream_stall_timeout;
        self.handle.congested.store(true, Ordering::Release);
        let sent = tokio::time::timeout(stall, self.out.send(event, size)).await;
        self.handle.congested.store(false, Ordering::Release);
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::ClientGone),
            Err(_) => Err(End::TooSlow),
        }
    }
}
