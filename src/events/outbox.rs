//! What waits between a stream's task and its HTTP connection, bounded in bytes.
//!
//! The task pushes rendered events ([`Outbox::send`]); the response body ([`OutboxBody`])
//! hands them to actix as the connection takes them. The queue holds at most
//! `STREAM_BUFFER_BYTES` (and `STREAM_QUEUE` events): a full queue makes the task wait, and a
//! task that waited `STREAM_STALL_SECS` kills the outbox ([`Outbox::kill`]): the queue is freed
//! at once and the connection's socket is shut down, so neither the events nor the connection
//! outlive the stall. The client resumes later from its last id.
//!
//! The body owns what must live exactly as long as the connection (the stream's registration
//! in the caps and presence, type `G`), so a stalled stream counts until its connection is gone.

use std::{
    collections::VecDeque,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll, Waker},
};

use actix_web_lab::sse;
use futures_util::Stream;
use tokio::sync::Notify;

use crate::request::conn::ConnSocket;

/// Why an event could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The connection is gone.
    Gone,
    /// The queue is full (only from `try_send`).
    Full,
}

/// The error a killed body ends with; actix closes the connection on a body error.
#[derive(Debug, thiserror::Error)]
#[error("stream cut off: its client stopped reading")]
pub struct Killed;

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// The task finished: the body sends what is queued, then ends the response.
    Finished,
    /// The client stalled: nothing more is sent and the connection is closed.
    Killed,
}

struct Queue {
    events: VecDeque<(sse::Event, usize)>,
    bytes: usize,
    end: Option<End>,
    body_alive: bool,
    body_waker: Option<Waker>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Told when the body took an event or went away (the task may be waiting for either).
    changed: Notify,
    max_bytes: usize,
    max_events: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().expect("outbox lock")
    }
}

/// The task's end of the queue. Dropping it finishes the response gracefully.
pub struct Outbox {
    shared: Arc<Shared>,
    socket: Option<ConnSocket>,
}

/// The response body's end of the queue, holding `G` for as long as the connection lives.
pub struct OutboxBody<G> {
    shared: Arc<Shared>,
    _guard: G,
}

/// A queue of at most `max_bytes` (and `max_events`) between a stream and its connection.
pub fn outbox<G>(
    max_bytes: usize,
    max_events: usize,
    socket: Option<ConnSocket>,
    guard: G,
) -> (Outbox, OutboxBody<G>) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            events: VecDeque::new(),
            bytes: 0,
            end: None,
            body_alive: true,
            body_waker: None,
        }),
        changed: Notify::new(),
        max_bytes,
        max_events,
    });
    (
        Outbox {
            shared: shared.clone(),
            socket,
        },
        OutboxBody {
            shared,
            _guard: guard,
        },
    )
}

impl Outbox {
    /// Queues one event of `size` bytes, waiting while the queue is full. An event always fits
    /// an empty queue, so one bigger than the budget still goes out alone.
    pub async fn send(&self, mut event: sse::Event, size: usize) -> Result<(), Refused> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.try_send(event, size) {
                Ok(()) => return Ok(()),
                Err((_, Refused::Gone)) => return Err(Refused::Gone),
                Err((back, Refused::Full)) => event = back,
            }
            changed.await;
        }
    }

    /// Queues one event if it fits now; hands it back otherwise.
    pub fn try_send(&self, event: sse::Event, size: usize) -> Result<(), (sse::Event, Refused)> {
        let mut q = self.shared.lock();
        if !q.body_alive {
            return Err((event, Refused::Gone));
        }
        let fits =
            q.events.len() < self.shared.max_events && q.bytes + size <= self.shared.max_bytes;
        if !(q.events.is_empty() || fits) {
            return Err((event, Refused::Full));
        }
        q.events.push_back((event, size));
        q.bytes += size;
        if let Some(waker) = q.body_waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Resolves once the connection is gone.
    pub async fn closed(&self) {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.shared.lock().body_alive {
                return;
            }
            changed.await;
        }
    }

    /// Bytes queued and not yet taken by the connection.
    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().bytes
    }

    /// Cuts the stream off: frees the queue now and closes the connection, which actix would
    /// otherwise keep (it stops polling a body whose client does not read).
    pub fn kill(&self) {
        let mut q = self.shared.lock();
        q.events.clear();
        q.bytes = 0;
        q.end = Some(End::Killed);
        if let Some(waker) = q.body_waker.take() {
            waker.wake();
        }
        // The body is alive, so its connection (and the socket's descriptor) is too: both are
        // owned by the connection's dispatcher, which drops them together.
        if q.body_alive {
            if let Some(socket) = &self.socket {
                socket.shutdown();
            }
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let mut q = self.shared.lock();
        q.end.get_or_insert(End::Finished);
        if let Some(waker) = q.body_waker.take() {
            waker.wake();
        }
    }
}

impl<G: Unpin> Stream for OutboxBody<G> {
    type Item = Result<sse::Event, Killed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut q = self.shared.lock();
        if q.end == Some(End::Killed) {
            return Poll::Ready(Some(Err(Killed)));
        }
        if let Some((event, size)) = q.events.pop_front() {
            q.bytes -= size;
            drop(q);
            self.shared.changed.notify_one();
            return Poll::Ready(Some(Ok(event)));
        }
        if q.end == Some(End::Finished) {
            return Poll::Ready(None);
        }
        q.body_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<G> Drop for OutboxBody<G> {
    fn drop(&mut self) {
        let mut q = self.shared.lock();
        q.body_alive = false;
        q.events.clear();
        q.bytes = 0;
        drop(q);
        self.shared.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn event(n: usize) -> sse::Event {
        sse::Data::new(n.to_string()).into()
    }

    #[tokio::test]
    async fn a_full_queue_waits_for_the_body_to_take_an_event() {
        let (out, mut body) = outbox(100, 10, None, ());
        out.send(event(1), 60).await.unwrap();
        // 60 + 60 > 100: the second waits until the body takes the first.
        let second = out.send(event(2), 60);
        tokio::pin!(second);
        assert!(futures_util::poll!(second.as_mut()).is_pending());
        assert!(body.next().await.unwrap().is_ok());
        second.await.unwrap();
        assert_eq!(out.queued_bytes(), 60);
    }

    #[tokio::test]
    async fn an_event_bigger_than_the_budget_goes_out_alone() {
        let (out, mut body) = outbox(100, 10, None, ());
        out.send(event(1), 500).await.unwrap();
        assert!(body.next().await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_killed_outbox_frees_its_queue_and_the_body_ends_with_an_error() {
        let (out, mut body) = outbox(1000, 10, None, ());
        out.send(event(1), 100).await.unwrap();
        out.send(event(2), 100).await.unwrap();
        out.kill();
        assert_eq!(out.queued_bytes(), 0);
        assert!(body.next().await.unwrap().is_err());
    }

    #[tokio::test]
    async fn a_finished_outbox_drains_then_ends() {
        let (out, mut body) = outbox(1000, 10, None, ());
        out.send(event(1), 100).await.unwrap();
        drop(out);
        assert!(body.next().await.unwrap().is_ok());
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn the_task_learns_when_the_connection_is_gone() {
        let (out, body) = outbox(100, 10, None, ());
        out.send(event(1), 60).await.unwrap();
        let blocked = out.send(event(2), 60);
        tokio::pin!(blocked);
        assert!(futures_util::poll!(blocked.as_mut()).is_pending());
        drop(body);
        assert_eq!(blocked.await, Err(Refused::Gone));
        out.closed().await;
    }
}
