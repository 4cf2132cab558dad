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
    db::{self, Pool},
    events::{hub::Hub, Delivery, EventData, Payload},
    messages::models,
    metrics::Metrics,
};
use courier_protocol::ids::{MessageId, SessionId, UserId};

/// What instances tell each other.
#[derive(Clone, Debug)]
pub enum BusMessage {
    /// New events in these users' logs; `payload` when it is the same small JSON for all,
    /// `message` when they are all this new message (each reader's JSON differs by its key).
    Deliveries {
        targets: Vec<(UserId, i64)>,
        payload: Option<EventData>,
        message: Option<MessageId>,
    },
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

/// What a bus message from another instance acts on: this instance's streams, and the
/// database for the message events it has to load.
pub struct Local {
    pub hub: Arc<Hub>,
    pool: Pool,
}

impl Local {
    /// Applies a message from another instance to this instance's streams.
    fn apply(&self, message: BusMessage) {
        match message {
            BusMessage::Deliveries {
                targets,
                payload: None,
                message: Some(id),
            } => self.load_message(id, targets),
            BusMessage::Deliveries {
                targets, payload, ..
            } => {
                let payload = payload.map(Payload::Whole);
                let deliveries: Vec<_> = targets
                    .into_iter()
                    .map(|(user, seq)| Delivery {
                        user,
                        seq,
                        payload: payload.clone(),
                    })
                    .collect();
                self.hub.deliver(&deliveries);
            }
            BusMessage::Ephemeral { users, data } => self.hub.ephemeral(&users, &data),
            BusMessage::Revoke { sessions } => self.hub.close_sessions(&sessions),
        }
    }

    /// A new message for some of this instance's streams: one load for all of them (a
    /// 256-member group spread over three instances would otherwise cost each instance one log
    /// read per stream). On a database error the streams read their logs themselves.
    fn load_message(&self, id: MessageId, targets: Vec<(UserId, i64)>) {
        let targets = self.hub.with_streams(targets);
        if targets.is_empty() {
            return;
        }
        let (hub, pool) = (self.hub.clone(), self.pool.clone());
        tokio::spawn(async move {
            let readers: Vec<UserId> = targets.iter().map(|(u, _)| *u).collect();
            let loaded = db::run(&pool, move |conn| {
                Ok(models::for_readers(conn, id, &readers)?)
            })
            .await;
            let deliveries: Vec<_> = match loaded {
                Ok(Some((row, keys))) => {
                    let prefix = row.prefix();
                    let live = row.ciphertext.is_some();
                    let keys: std::collections::HashMap<UserId, Vec<u8>> =
                        keys.into_iter().collect();
                    targets
                        .into_iter()
                        .map(|(user, seq)| {
                            let key = keys.get(&user).map(Vec::as_slice);
                            Delivery {
                                user,
                                seq,
                                payload: Some(models::MessageRow::for_reader(
                                    prefix.clone(),
                                    live,
                                    key,
                                )),
                            }
                        })
                        .collect()
                }
                _ => targets
                    .into_iter()
                    .map(|(user, seq)| Delivery {
                        user,
                        seq,
                        payload: None,
                    })
                    .collect(),
            };
            hub.deliver(&deliveries);
        });
    }
}

/// Starts the configured bus; returns it with the handles of its background tasks.
pub fn start(
    settings: &Settings,
    hub: Arc<Hub>,
    pool: Pool,
    metrics: Arc<Metrics>,
) -> (Arc<Bus>, Vec<tokio::task::JoinHandle<()>>) {
    let local = Arc::new(Local { hub, pool });
    let (tx, rx) = mpsc::unbounded_channel();
    let connected = Arc::new(AtomicBool::new(false));
    let bus = Arc::new(Bus {
        publish: tx,
        connected: connected.clone(),
        drop_publish: AtomicBool::new(false),
    });
    let tasks = match &settings.bus {
        BusKind::Postgres => postgres::start(settings, local, connected, rx, metrics),
        BusKind::Redis(url) => redis::start(
            url,
            settings.instance_id.clone(),
            local,
            connected,
            rx,
            metrics,
        ),
    };
    (bus, tasks)
}
