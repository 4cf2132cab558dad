//! Event payloads as they go out on a stream: the event type and its JSON. A message event is
//! kept as a shared prefix plus the one wrapped key of its reader, so a group message is
//! rendered once and not once per member.

use std::sync::Arc;

use serde::Serialize;

use base64::{engine::general_purpose::STANDARD, Engine};
use courier_protocol::{
    events::EventKind,
    ids::{ConversationId, MessageId, UserId},
};

/// Binary fields go out as standard padded base64 (docs/protocol.md).
pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// An event whose JSON is the same for every reader.
#[derive(Clone, Debug)]
pub struct EventData {
    pub kind: EventKind,
    pub json: Arc<str>,
}

impl EventData {
    pub fn new(kind: EventKind, value: &impl Serialize) -> Self {
        EventData {
            kind,
            json: serde_json::to_string(value)
                .expect("event payloads serialise")
                .into(),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Payload {
    Whole(EventData),
    /// `prefix` is a JSON object missing its closing brace; the reader's key completes it.
    Message {
        prefix: Arc<str>,
        wrapped_key: Option<Arc<str>>,
    },
}

impl Payload {
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::Whole(d) => d.kind,
            Payload::Message { .. } => EventKind::Message,
        }
    }

    /// A message's commit time (ms), read from its prefix without parsing the JSON: this runs
    /// once per delivered message, for the delivery latency metric.
    pub fn server_ts(&self) -> Option<i64> {
        let Payload::Message { prefix, .. } = self else {
            return None;
        };
        let rest = &prefix[prefix.find("\"server_ts\":")? + 12..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    }

    pub fn render(&self) -> String {
        match self {
            Payload::Whole(d) => d.json.to_string(),
            Payload::Message {
                prefix,
                wrapped_key,
            } => match wrapped_key {
                Some(key) => format!("{prefix},\"wrapped_key\":\"{key}\"}}"),
                None => format!("{prefix}}}"),
            },
        }
    }
}

/// The fields of a message every reader shares (history items and `message` events).
#[derive(Serialize)]
pub struct MessageShared<'a> {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub position: i64,
    pub sender_id: UserId,
    pub server_ts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<&'a str>,
    /// v2 only: the key commitment (a stored v1 message has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A stored message as the shared prefix of its event JSON.
#[allow(clippy::too_many_arguments)]
pub fn message_prefix(
    conversation_id: ConversationId,
    message_id: MessageId,
    position: i64,
    sender_id: UserId,
    server_ts: i64,
    header: &str,
    commitment: Option<&[u8]>,
    iv: &[u8],
    ciphertext: Option<&[u8]>,
    signature: &[u8],
) -> Arc<str> {
    let deleted = ciphertext.is_none();
    let shared = MessageShared {
        conversation_id,
        message_id,
        position,
        sender_id,
        server_ts,
        header: (!deleted).then_some(header),
        commitment: commitment.filter(|_| !deleted).map(b64),
        iv: (!deleted).then(|| b64(iv)),
        ciphertext: ciphertext.map(b64),
        signature: (!deleted).then(|| b64(signature)),
        deleted,
    };
    let mut json = serde_json::to_string(&shared).expect("message serialises");
    json.pop(); // the closing brace; `Payload::render` puts it back after the wrapped key
    json.into()
}
