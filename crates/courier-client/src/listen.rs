//! A live, resuming event stream: reconnects on drops, refreshes the token, and hands each
//! persistent event to the caller exactly once, in order.
//!
//! Policy: the resume point is the id of the last event the caller *finished* handling: an
//! event counts as handled when the caller asks for the next one, and only then is its id
//! saved (when a store is given). So a crash replays at most the one event being handled and
//! never skips one. Events with an id at or below the resume point are dropped
//! (de-duplication by id). A stream that ends (token expiry, server restart) or goes silent
//! for longer than three heartbeats is reopened with `Last-Event-ID`, with capped exponential
//! backoff; only a revoked session or an invalid resume point end it with an error.

use std::time::Duration;

use super::error::{ClientError, Result};
use super::session::{now_secs, Session};
use super::sse::{EventStream, SseEvent};
use super::store::Store;

/// What [`Listener::next`] yields.
#[derive(Debug, Clone)]
pub enum Note {
    /// A persistent event newer than the resume point, or an ephemeral one.
    Event(SseEvent),
    /// Connected (again), resuming after this id.
    Connected { after: i64 },
    /// The stream dropped; the next call reconnects after `retry_in`.
    Disconnected { reason: String, retry_in: Duration },
}

/// Longest wait for any byte (the server sends a heartbeat every 15 s at most).
const IDLE: Duration = Duration::from_secs(45);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// See the module docs.
pub struct Listener<'a> {
    session: &'a Session,
    cursor: Option<&'a Store>,
    after: i64,
    pending: Option<i64>,
    stream: Option<(EventStream, u64)>,
    delay: Option<Duration>,
    backoff: Duration,
}

impl<'a> Listener<'a> {
    /// Listens after event `after`; with `cursor`, handled ids are saved there.
    pub fn new(session: &'a Session, after: i64, cursor: Option<&'a Store>) -> Self {
        Self {
            session,
            cursor,
            after,
            pending: None,
            stream: None,
            delay: None,
            backoff: FIRST_BACKOFF,
        }
    }

    /// The id of the last event handled.
    pub fn position(&self) -> i64 {
        self.after
    }

    /// Marks the event last returned as handled (saving its id), without waiting for more.
    pub fn commit(&mut self) -> Result<()> {
        if let Some(id) = self.pending.take() {
            self.after = id;
            if let Some(store) = self.cursor {
                store.save_cursor(self.session.user_id, id)?;
            }
        }
        Ok(())
    }

    /// The next note; the event returned before this call counts as handled.
    pub async fn next(&mut self) -> Result<Note> {
        self.commit()?;
        loop {
            let Some((stream, renew_at)) = &mut self.stream else {
                if let Some(d) = self.delay.take() {
                    tokio::time::sleep(d).await;
                }
                match connect(self.session, self.after).await {
                    Ok(s) => {
                        self.stream = Some(s);
                        self.backoff = FIRST_BACKOFF;
                        return Ok(Note::Connected { after: self.after });
                    }
                    Err(e @ (ClientError::SessionRevoked(_) | ClientError::NotLoggedIn)) => {
                        return Err(e)
                    }
                    Err(
                        e @ ClientError::Api {
                            status: 400 | 403 | 404,
                            ..
                        },
                    ) => return Err(e),
                    Err(e) => return Ok(self.dropped(e.to_string())),
                }
            };
            // Reopen with a fresh token shortly before this one expires; the server would end
            // the stream at expiry anyway.
            let renew_at = *renew_at;
            let left = renew_at.saturating_sub(now_secs()).max(1);
            match stream.next(IDLE.min(Duration::from_secs(left))).await {
                Ok(Some(ev)) => {
                    if ev.id.is_some_and(|id| id <= self.after) {
                        continue; // already handled before a reconnect
                    }
                    self.pending = ev.id;
                    return Ok(Note::Event(ev));
                }
                Ok(None) => return Ok(self.dropped("the server ended the stream".into())),
                Err(_) if now_secs() >= renew_at => {
                    // Planned: renew the token and reconnect at once.
                    self.stream = None;
                    continue;
                }
                Err(e) => return Ok(self.dropped(e.to_string())),
            }
        }
    }

    fn dropped(&mut self, reason: String) -> Note {
        self.stream = None;
        let retry_in = self.backoff;
        self.delay = Some(retry_in);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        Note::Disconnected { reason, retry_in }
    }
}

/// Opens the stream with a token that has some life left (returning when to renew it); a 401
/// refreshes once.
async fn connect(session: &Session, after: i64) -> Result<(EventStream, u64)> {
    let (token, renew_at) = session.access_token().await?;
    match EventStream::connect(session.api(), &token, after).await {
        Err(ClientError::Api { status: 401, .. }) => {
            let (token, renew_at) = session.refresh(Some(&token)).await?;
            let stream = EventStream::connect(session.api(), &token, after)
                .await
                .map_err(|e| match e {
                    ClientError::Api {
                        status: 401,
                        message,
                        ..
                    } => ClientError::SessionRevoked(message),
                    other => other,
                })?;
            Ok((stream, renew_at))
        }
        other => other.map(|s| (s, renew_at)),
    }
}
