//! The cross-instance bus: wakes streams on other instances. It carries no truth: a message
//! lost on the bus is found by the stream's next log read (on the next event, on the periodic
//! sweep, or after the bus reconnects, when every local stream reads its log).
//!
//! PostgreSQL LISTEN/NOTIFY is the default (nothing extra to run); Redis pub/sub is the
//! alternative for deployments where the NOTIFY commit lock becomes the ceiling.

mod postgres;
mod redis;
mod wire;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use tokio::sync::mpsc;

use crate::{
    config::{BusKind, Settings},
    events::{hub::Hub, EventData},
    ids::{SessionId, UserId},
    metrics::Metrics,
};

/// What instances tell each other.
#[derive(Clone, Debug)]
pub enum BusMessage {
    /// New events in these users' logs; `payload` when it is the same small JSON for all.
    Deliveries { targets: Vec<(UserId, i64)>, payload: Option<EventData> },
    /// Typing or presence for these users' streams.
    Ephemeral { users: Vec<UserId>, data: EventData },
    /// These sessions were revoked: close their streams.
    Revoke { sessions: Vec<SessionId> },
}

pub struct Bus {
    publish: mpsc::UnboundedSender<BusMessage>,
    connected: Arc<AtomicBool>,
    /// Test hook: when set, nothing is published (simulates lost notifications).
    drop_publish: AtomicBool,
}

impl Bus {
    pub fn publish(&self, message: BusMessage) {
        if self.drop_publish.load(Ordering::Relaxed) {
            return;
        }
        let _ = self.publish.send(message);
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    pub fn set_drop_publish(&self, drop: bool) {
        self.drop_publish.store(drop, Ordering::Relaxed);
    }
}

/// Applies a message from another instance to this instance's streams.
fn apply(hub: &Hub, message: BusMessage) {
    match message {
        BusMessage::Deliveries { targets, payload } => {
            let deliveries: Vec<_> = targets
                .into_iter()
                .map(|(user, seq)| crate::events::Delivery {
                    user,
                    seq,
                    payload: payload.clone().map(crate::events::Payload::Whole),
                })
                .collect();
            hub.deliver(&deliveries);
        }
        BusMessage::Ephemeral { users, data } => hub.ephemeral(&users, &data),
        BusMessage::Revoke { sessions } => hub.close_sessions(&sessions),
    }
}

/// Starts the configured bus; returns it with the handles of its background tasks.
pub fn start(settings: &Settings, hub: Arc<Hub>, metrics: Arc<Metrics>) -> (Arc<Bus>, Vec<tokio::task::JoinHandle<()>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let connected = Arc::new(AtomicBool::new(false));
    let bus = Arc::new(Bus { publish: tx, connected: connected.clone(), drop_publish: AtomicBool::new(false) });
    let tasks = match &settings.bus {
        BusKind::Postgres => postgres::start(settings, hub, connected, rx, metrics),
        BusKind::Redis(url) => redis::start(url, settings.instance_id.clone(), hub, connected, rx, metrics),
    };
    (bus, tasks)
}
