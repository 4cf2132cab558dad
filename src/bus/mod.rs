//! The cross-instance bus: wakes streams on other instances. It carries no truth: a message
//! lost on the bus is found by the stream's next log read (on the next event, on the periodic
//! sweep, or after the bus reconnects, when every local stream reads its log).
//!
//! PostgreSQL LISTEN/NOTIFY is the default (nothing extra to run); Redis pub/sub is the
//! alternative for deployments where the NOTIFY commit lock becomes the ceiling.

pub mod fanout;
mod postgres;
mod redis;
mod wire;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use diesel::{PgConnection, QueryResult};
use tokio::sync::mpsc;

use crate::{
    config::{BusKind, Settings},
    db::{self, Pool},
    events::{hub::Hub, Delivery, EventData, Payload},
    metrics::Metrics,
};
use courier_protocol::ids::{MessageId, SessionId, UserId};

/// Loads a new message as each of the given readers receives it, in their order (`None` when it
/// is gone). The messages feature provides it (`messages::models::payloads_for_readers`); the
/// bus is below the features and knows nothing of their tables.
pub type LoadMessage =
    fn(&mut PgConnection, MessageId, &[UserId]) -> QueryResult<Option<Vec<Payload>>>;

/// What instances tell each other.
#[derive(Clone, Debug)]
pub enum BusMessage {
    /// New events in these users' logs, and what comes with them.
    Deliveries {
        targets: Vec<(UserId, i64)>,
        carried: Carried,
    },
    /// Typing or presence for these users' streams.
    Ephemeral { users: Vec<UserId>, data: EventData },
    /// These sessions were revoked: close their streams.
    Revoke { sessions: Vec<SessionId> },
}

/// What a [`BusMessage::Deliveries`] carries besides its targets: one of three, never two.
#[derive(Clone, Debug)]
pub enum Carried {
    /// Nothing: each stream reads its own log.
    Nothing,
    /// The same small JSON for every target.
    Event(EventData),
    /// They are all this new message (each reader's JSON differs by its key): each instance
    /// loads it once for all its local readers.
    Message(MessageId),
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
    load_message: LoadMessage,
}

impl Local {
    /// Applies a message from another instance to this instance's streams.
    fn apply(&self, message: BusMessage) {
        match message {
            BusMessage::Deliveries {
                targets,
                carried: Carried::Message(id),
            } => self.load_message(id, targets),
            BusMessage::Deliveries { targets, carried } => {
                let payload = match carried {
                    Carried::Event(data) => Some(Payload::Whole(data)),
                    Carried::Nothing | Carried::Message(_) => None,
                };
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
        let (hub, pool, load) = (self.hub.clone(), self.pool.clone(), self.load_message);
        tokio::spawn(async move {
            let readers: Vec<UserId> = targets.iter().map(|(u, _)| *u).collect();
            let loaded = db::run(&pool, move |conn| Ok(load(conn, id, &readers)?)).await;
            let payloads: Vec<Option<Payload>> = match loaded {
                Ok(Some(payloads)) => payloads.into_iter().map(Some).collect(),
                _ => vec![None; targets.len()],
            };
            let deliveries: Vec<_> = targets
                .into_iter()
                .zip(payloads)
                .map(|((user, seq), payload)| Delivery { user, seq, payload })
                .collect();
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
    load_message: LoadMessage,
) -> (Arc<Bus>, Vec<tokio::task::JoinHandle<()>>) {
    let local = Arc::new(Local {
        hub,
        pool,
        load_message,
    });
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
