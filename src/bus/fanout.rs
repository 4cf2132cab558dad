//! The one place where committed events leave for the live path: this instance's streams at
//! once (the hub), the other instances through the bus. Writers call it only after the
//! transaction that wrote the events has committed.

use std::sync::Arc;

use super::{Bus, BusMessage, Carried};
use crate::events::{hub::Hub, Delivery, EventData, Payload};
use courier_protocol::ids::{MessageId, SessionId, UserId};

pub struct Fanout {
    hub: Arc<Hub>,
    bus: Arc<Bus>,
}

impl Fanout {
    pub fn new(hub: Arc<Hub>, bus: Arc<Bus>) -> Self {
        Fanout { hub, bus }
    }

    /// Hands committed events to the live path: this instance's streams at once, the others
    /// through the bus. Call only after the transaction that wrote them has committed.
    pub fn deliver(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        self.hub.deliver(&deliveries);
        // The bus carries the JSON only when every target gets the same one.
        let carried = match deliveries.first().and_then(|d| d.payload.as_ref()) {
            Some(Payload::Whole(data)) => Carried::Event(data.clone()),
            _ => Carried::Nothing,
        };
        let targets = deliveries.iter().map(|d| (d.user, d.seq)).collect();
        self.bus
            .publish(BusMessage::Deliveries { targets, carried });
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
            carried: Carried::Message(message),
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
}
