//! The streams open on this instance, by user. The hub never blocks and never does I/O: it
//! hands each stream's task a wake-up through a small bounded queue; when that queue is full
//! the stream is marked lagged and fills the gap from the database itself.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::mpsc;

use super::{Delivery, EventData, Payload};
use courier_protocol::ids::{SessionId, UserId};

/// How many wake-ups may wait for a stream's task before it is marked lagged.
const WAKE_QUEUE: usize = 32;

#[derive(Debug)]
pub enum Wake {
    /// A persistent event; `payload` is `None` when it must be read from the log.
    Event { seq: i64, payload: Option<Payload> },
    /// Typing or presence: no id, not replayed.
    Ephemeral(EventData),
    /// Something may have been missed (bus reconnect, sweep): read the log.
    CatchUp,
    /// The session was revoked or the instance is draining.
    Close,
}

pub struct StreamHandle {
    pub id: u64,
    pub user: UserId,
    pub session: SessionId,
    tx: mpsc::Sender<Wake>,
    lagged: AtomicBool,
    /// Set while the stream waits for its client to read: new events then wake it without
    /// their payloads (it reads them from the log once there is room), so a stalled client
    /// cannot pile up payloads in its wake-up queue either.
    pub congested: AtomicBool,
    /// The last seq this stream sent; the sweep compares it with the log.
    pub delivered: AtomicI64,
}

impl StreamHandle {
    fn wake(&self, wake: Wake) {
        if matches!(wake, Wake::Event { .. } | Wake::Ephemeral(_))
            && self.congested.load(Ordering::Acquire)
        {
            // Ephemeral events are not replayed: dropping one for a stalled reader loses
            // nothing it could still use.
            if matches!(wake, Wake::Event { .. }) {
                self.lagged.store(true, Ordering::Release);
            }
            return;
        }
        if self.tx.try_send(wake).is_err() {
            self.lagged.store(true, Ordering::Release);
        }
    }

    /// Whether wake-ups were dropped since the last call (then the log must be read).
    pub fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<UserId, Vec<Arc<StreamHandle>>>>,
    next_id: AtomicU64,
    /// Set once the instance drains: a `Close` lost to a full wake queue must not keep a
    /// stream open, so streams also check this after every step, and new ones are refused.
    draining: AtomicBool,
}

impl Hub {
    pub fn register(
        &self,
        user: UserId,
        session: SessionId,
    ) -> (Arc<StreamHandle>, mpsc::Receiver<Wake>) {
        let (tx, rx) = mpsc::channel(WAKE_QUEUE);
        let handle = Arc::new(StreamHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            user,
            session,
            tx,
            lagged: AtomicBool::new(false),
            congested: AtomicBool::new(false),
            delivered: AtomicI64::new(0),
        });
        self.streams
            .lock()
            .expect("hub lock")
            .entry(user)
            .or_default()
            .push(handle.clone());
        (handle, rx)
    }

    /// Removes a stream; returns how many streams its user still has here.
    pub fn unregister(&self, handle: &StreamHandle) -> usize {
        let mut streams = self.streams.lock().expect("hub lock");
        let Some(list) = streams.get_mut(&handle.user) else {
            return 0;
        };
        list.retain(|h| h.id != handle.id);
        let left = list.len();
        if left == 0 {
            streams.remove(&handle.user);
        }
        left
    }

    fn each_stream_of(
        &self,
        users: impl IntoIterator<Item = UserId>,
        mut f: impl FnMut(&StreamHandle),
    ) {
        let streams = self.streams.lock().expect("hub lock");
        for user in users {
            for h in streams.get(&user).into_iter().flatten() {
                f(h);
            }
        }
    }

    pub fn deliver(&self, deliveries: &[Delivery]) {
        let streams = self.streams.lock().expect("hub lock");
        for d in deliveries {
            for h in streams.get(&d.user).into_iter().flatten() {
                h.wake(Wake::Event {
                    seq: d.seq,
                    payload: d.payload.clone(),
                });
            }
        }
    }

    /// The targets that have a stream on this instance.
    pub fn with_streams(&self, mut targets: Vec<(UserId, i64)>) -> Vec<(UserId, i64)> {
        let streams = self.streams.lock().expect("hub lock");
        targets.retain(|(user, _)| streams.contains_key(user));
        targets
    }

    pub fn ephemeral(&self, users: &[UserId], data: &EventData) {
        self.each_stream_of(users.iter().copied(), |h| {
            h.wake(Wake::Ephemeral(data.clone()))
        });
    }

    pub fn close_sessions(&self, sessions: &[SessionId]) {
        let streams = self.streams.lock().expect("hub lock");
        for h in streams
            .values()
            .flatten()
            .filter(|h| sessions.contains(&h.session))
        {
            // Closing must not be lost to a full queue: mark lagged too; the task re-checks its
            // session whenever it reads the log.
            h.wake(Wake::Close);
        }
    }

    /// Every stream reads the log (after a bus reconnect, nothing can be assumed delivered).
    pub fn catch_up_all(&self) {
        let streams = self.streams.lock().expect("hub lock");
        for h in streams.values().flatten() {
            h.wake(Wake::CatchUp);
        }
    }

    /// Every stream is told to end (graceful drain): clients reconnect elsewhere and resume.
    pub fn close_all(&self) {
        self.draining.store(true, Ordering::Release);
        let streams = self.streams.lock().expect("hub lock");
        for h in streams.values().flatten() {
            h.wake(Wake::Close);
        }
    }

    /// Wakes every stream that is behind its user's log (the periodic sweep: a safety net
    /// for a notification lost between commit and publish, or on the bus).
    pub fn catch_up_behind(&self, heads: &[(UserId, i64)]) -> usize {
        let mut woken = 0;
        let streams = self.streams.lock().expect("hub lock");
        for (user, head) in heads {
            for h in streams.get(user).into_iter().flatten() {
                if h.delivered.load(Ordering::Acquire) < *head {
                    h.wake(Wake::CatchUp);
                    woken += 1;
                }
            }
        }
        woken
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    pub fn users(&self) -> Vec<UserId> {
        self.streams
            .lock()
            .expect("hub lock")
            .keys()
            .copied()
            .collect()
    }

    pub fn stream_count(&self) -> usize {
        self.streams
            .lock()
            .expect("hub lock")
            .values()
            .map(Vec::len)
            .sum()
    }

    pub fn has_streams(&self, user: UserId) -> bool {
        self.streams.lock().expect("hub lock").contains_key(&user)
    }
}
