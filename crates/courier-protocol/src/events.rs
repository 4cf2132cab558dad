//! The event stream's vocabulary (docs/protocol.md §7.4): one closed enum, used by the server's
//! log, its bus and its stream, and by every Rust reader.

use std::fmt;

/// The `event:` name of an event-stream frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The replay is done; the stream is live. Carries no id.
    Ready,
    /// A message (or its deleted form, on replay).
    Message,
    /// The sender deleted a message for everyone.
    MessageDeleted,
    /// A member's delivered/read position moved.
    Receipt,
    /// A conversation was created or its membership changed.
    Conversation,
    /// Someone is typing (ephemeral: no id, not logged).
    Typing,
    /// Someone came online or went offline (ephemeral).
    Presence,
    /// A logged kind this version does not know (a newer server wrote it). Readers skip it but
    /// count its id, so their resume point advances (§7.3).
    Unknown,
}

impl EventKind {
    /// Every kind, for tests and tables.
    pub const ALL: [EventKind; 8] = [
        Self::Ready,
        Self::Message,
        Self::MessageDeleted,
        Self::Receipt,
        Self::Conversation,
        Self::Typing,
        Self::Presence,
        Self::Unknown,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Message => "message",
            Self::MessageDeleted => "message_deleted",
            Self::Receipt => "receipt",
            Self::Conversation => "conversation",
            Self::Typing => "typing",
            Self::Presence => "presence",
            Self::Unknown => "unknown",
        }
    }

    /// The kind a wire name names; anything else is [`EventKind::Unknown`].
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .unwrap_or(Self::Unknown)
    }

    /// Whether events of this kind are written to the per-user log (they carry an id and are
    /// replayed); the others are only pushed to who is online.
    pub const fn is_logged(self) -> bool {
        !matches!(self, Self::Ready | Self::Typing | Self::Presence)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn every_kind_round_trips_through_its_wire_name() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), k);
        }
        assert_eq!(EventKind::parse("key_change"), EventKind::Unknown);
    }
}
