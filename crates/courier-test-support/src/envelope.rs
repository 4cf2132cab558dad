//! Envelopes the server cannot tell from real ones, without the cost of real crypto: a valid
//! v2 header (the protocol's own [`Header`]) over random bytes of the right sizes. The API
//! tests use them where the content does not matter; the load generator sends nothing else.

use base64::{engine::general_purpose::STANDARD, Engine};
use courier_protocol::{
    crypto::Header,
    limits::{COMMITMENT_LEN, IV_LEN, SIGNATURE_LEN, TEXT_PLAIN, WRAPPED_KEY_LEN},
};
use serde_json::{json, Value};
use uuid::Uuid;

/// The posted envelope object: `size` random bytes of ciphertext, one random wrapped key per
/// recipient (`members` plus the sender), sent now.
pub fn fake(conversation: Uuid, message_id: Uuid, sender: Uuid, members: &[Uuid], size: usize) -> Value {
    fake_typed(conversation, message_id, sender, members, size, TEXT_PLAIN)
}

/// [`fake`] with another content type in the header (e.g. a telemetry batch).
pub fn fake_typed(conversation: Uuid, message_id: Uuid, sender: Uuid, members: &[Uuid], size: usize, content_type: &str) -> Value {
    let sent_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let header = Header::new(conversation, message_id, sender, members.iter().copied(), content_type, sent_at)
        .expect("a valid header");
    let random = |n: usize| STANDARD.encode((0..n).map(|_| rand::random::<u8>()).collect::<Vec<_>>());
    json!({
        "header": header.canonical(),
        "commitment": random(COMMITMENT_LEN),
        "iv": random(IV_LEN),
        "ciphertext": random(size),
        "signature": random(SIGNATURE_LEN),
        "keys": header.recipients().iter().map(|u| json!({"user_id": u, "wrapped_key": random(WRAPPED_KEY_LEN)})).collect::<Vec<_>>(),
    })
}
