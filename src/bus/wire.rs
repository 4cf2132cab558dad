//! The bus wire format: compact JSON, split into chunks that fit a NOTIFY payload (< 8000
//! bytes). Each message names its origin so an instance ignores its own.

use serde::{Deserialize, Serialize};

use super::{BusMessage, Carried};
use crate::events::EventData;
use courier_protocol::{
    events::EventKind,
    ids::{MessageId, SessionId, UserId},
};

#[derive(Serialize, Deserialize)]
struct Wire {
    /// Origin instance.
    o: String,
    /// Publish time, ms since epoch (for the bus-lag metric).
    t: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    d: Vec<(UserId, i64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    e: Vec<UserId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    r: Vec<SessionId>,
    /// The new message that `d` are the events of (loaded once by each instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    j: Option<String>,
}

/// Encodes a message as one or more chunks of at most 100 targets (≈ 5 KB: NOTIFY payloads
/// must stay under 8000 bytes).
pub fn encode(origin: &str, message: &BusMessage) -> Vec<String> {
    let now = chrono::Utc::now().timestamp_millis();
    let base = |k: Option<&EventData>| Wire {
        o: origin.to_owned(),
        t: now,
        d: vec![],
        e: vec![],
        r: vec![],
        m: None,
        k: k.map(|d| d.kind.as_str().to_owned()),
        j: k.map(|d| d.json.to_string()),
    };
    let mut out = Vec::new();
    match message {
        BusMessage::Deliveries { targets, carried } => {
            // Include the payload only while it keeps the chunk small; otherwise streams read the log.
            let (payload, message) = match carried {
                Carried::Event(data) => (Some(data).filter(|p| p.json.len() < 2_000), None),
                Carried::Message(id) => (None, Some(*id)),
                Carried::Nothing => (None, None),
            };
            for chunk in targets.chunks(100) {
                let mut w = base(payload);
                w.d = chunk.to_vec();
                w.m = message;
                out.push(serde_json::to_string(&w).expect("wire encodes"));
            }
        }
        BusMessage::Ephemeral { users, data } => {
            if data.json.len() < 2_000 {
                for chunk in users.chunks(100) {
                    let mut w = base(Some(data));
                    w.e = chunk.to_vec();
                    out.push(serde_json::to_string(&w).expect("wire encodes"));
                }
            }
        }
        BusMessage::Revoke { sessions } => {
            for chunk in sessions.chunks(100) {
                let mut w = base(None);
                w.r = chunk.to_vec();
                out.push(serde_json::to_string(&w).expect("wire encodes"));
            }
        }
    }
    out
}

/// Decodes a message; `None` for our own or for garbage. Also returns its publish time.
pub fn decode(origin: &str, text: &str) -> Option<(BusMessage, i64)> {
    let w: Wire = serde_json::from_str(text).ok()?;
    if w.o == origin {
        return None;
    }
    let data = match (w.k, w.j) {
        (Some(k), Some(j)) => Some(EventData {
            kind: static_kind(&k)?,
            json: j.into(),
        }),
        _ => None,
    };
    let message = if !w.d.is_empty() {
        let carried = match (w.m, data) {
            (Some(id), _) => Carried::Message(id),
            (None, Some(data)) => Carried::Event(data),
            (None, None) => Carried::Nothing,
        };
        BusMessage::Deliveries {
            targets: w.d,
            carried,
        }
    } else if !w.e.is_empty() {
        BusMessage::Ephemeral {
            users: w.e,
            data: data?,
        }
    } else if !w.r.is_empty() {
        BusMessage::Revoke { sessions: w.r }
    } else {
        return None;
    };
    Some((message, w.t))
}

/// The kinds a bus message may carry whole: a logged event's JSON (the same for every reader)
/// or an ephemeral one. A message event differs per reader and never travels whole; an unknown
/// kind is garbage.
fn static_kind(kind: &str) -> Option<EventKind> {
    match EventKind::parse(kind) {
        EventKind::Message | EventKind::Ready | EventKind::Unknown => None,
        kind => Some(kind),
    }
}
