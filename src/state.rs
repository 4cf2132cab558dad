//! Shared application state handed to every handler as `web::Data<AppState>`, and the one
//! place where committed events leave for the live path (local streams, then the bus).

use std::sync::{Arc, Mutex};

use crate::{
    auth::{password::BcryptGate, tokens::TokenKeys},
    bus::{Bus, BusMessage},
    config::Settings,
    db::Pool,
    events::{hub::Hub, Delivery, EventData, Payload},
    metrics::Metrics,
};
use courier_protocol::ids::{MessageId, SessionId, UserId};

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub tokens: TokenKeys,
    pub bcrypt: BcryptGate,
    pub hub: Arc<Hub>,
    pub bus: Arc<Bus>,
    pub metrics: Arc<Metrics>,
    /// Background tasks (bus, heartbeat, sweep), aborted when the instance stops.
    pub tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl AppState {
    pub fn new(pool: Pool, settings: Arc<Settings>) -> Self {
        let hub = Arc::new(Hub::default());
        let metrics = Arc::new(Metrics::new());
        let (bus, tasks) = crate::bus::start(&settings, hub.clone(), pool.clone(), metrics.clone());
        AppState {
            tokens: TokenKeys::new(&settings),
            bcrypt: BcryptGate::new(
                settings.bcrypt_cost,
                settings.bcrypt_concurrency,
                settings.bcrypt_queue,
            ),
            pool,
            settings,
            hub,
            bus,
            metrics,
            tasks: Mutex::new(tasks),
        }
    }

    /// Hands committed events to the live path: this instance's streams at once, the others
    /// through the bus. Call only after the transaction that wrote them has committed.
    pub fn deliver(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        self.hub.deliver(&deliveries);
        // The bus carries the JSON only when every target gets the same one.
        let shared = match deliveries.first().and_then(|d| d.payload.as_ref()) {
            Some(Payload::Whole(data)) => Some(data.clone()),
            _ => None,
        };
        let targets = deliveries.iter().map(|d| (d.user, d.seq)).collect();
        self.bus.publish(BusMessage::Deliveries {
            targets,
            payload: shared,
            message: None,
        });
    }

    /// Like [`deliver`](Self::deliver) for a new message: other instances are told which message
    /// it is, so each loads it once for all its local readers instead of once per stream.
    pub fn deliver_message(&self, message: MessageId, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        self.hub.deliver(&deliveries);
        let targets = deliveries.iter().map(|d| (d.user, d.seq)).collect();
        self.bus.publish(BusMessage::Deliveries {
            targets,
            payload: None,
            message: Some(message),
        });
    }

    /// Typing and presence: to whichever streams these users have open, anywhere.
    pub fn ephemeral(&self, users: Vec<UserId>, data: EventData) {
        self.hub.ephemeral(&users, &data);
        self.bus.publish(BusMessage::Ephemeral { users, data });
    }

    /// Ends every stream of this session, on every instance.
    pub fn session_revoked(&self, session: SessionId) {
        self.sessions_revoked(&[session]);
    }

    pub fn sessions_revoked(&self, sessions: &[SessionId]) {
        if sessions.is_empty() {
            return;
        }
        self.hub.close_sessions(sessions);
        self.bus.publish(BusMessage::Revoke {
            sessions: sessions.to_vec(),
        });
    }

    pub fn bus_ready(&self) -> bool {
        self.bus.is_connected()
    }

    /// Stops the background tasks (tests use it to simulate an instance dying).
    pub fn stop_background(&self) {
        for task in self.tasks.lock().expect("tasks lock").drain(..) {
            task.abort();
        }
    }
}
