//! `Envelope::parse`: the v2 envelope turned into checked parts, so handlers never re-check.
//!
//! What is checked here, without keys: the header is canonical JSON (sorted keys, no spaces,
//! RFC 8785 for these field types) with exactly the header fields and `v` = 2; ids are
//! canonical UUIDs; recipients are sorted, unique and include the sender; commitment 32 bytes;
//! iv 12 bytes; ciphertext more than the 16-byte tag (an empty message is refused) and at most
//! 64 KiB plus tag; signature 64 bytes; one wrapped key per recipient, none missing, extra or
//! repeated, each the size of an RSA-3072 OAEP block. What needs the database (sender is the
//! caller, recipients are the members) is checked by the caller.
//!
//! Policy: new posts must be v2, the key-committing envelope, so a malicious member cannot
//! choose the non-committing v1 form (one signed message that reads differently for each
//! recipient); v1 messages already stored are still served, without a commitment.

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{accounts::fields::decode, error::AppError};
use courier_protocol::ids::{ConversationId, MessageId, UserId};

pub const IV_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
pub const MAX_PLAINTEXT: usize = 64 * 1024;
pub const SIGNATURE_LEN: usize = 64;
/// RSA-3072 (the only key size accepted) gives 384-byte blocks.
pub const WRAPPED_KEY: (usize, usize) = (384, 384);
/// The envelope version accepted in new posts (v2, key-committing).
pub const VERSION: u64 = 2;
/// `HMAC-SHA256(content key, "courier/v2/commit" ‖ h)`.
pub const COMMITMENT_LEN: usize = 32;
const MAX_HEADER: usize = 16 * 1024;
const HEADER_FIELDS: [&str; 7] = [
    "content_type",
    "conversation_id",
    "message_id",
    "recipients",
    "sender_id",
    "sent_at",
    "v",
];

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WrappedKeyBody {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: Uuid,
    /// RSA-OAEP-SHA256 of the content key under this recipient's key, label = SHA-256(header).
    pub wrapped_key: String,
}

/// The envelope as sent.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EnvelopeBody {
    /// The canonical header JSON string.
    pub header: String,
    /// HMAC-SHA256(content key, "courier/v2/commit" ‖ SHA-256(header)), 32 bytes, base64.
    /// Required (v2 is the only version accepted in new posts).
    pub commitment: Option<String>,
    pub iv: String,
    /// AES-256-GCM ciphertext and tag; more than the 16-byte tag (no empty messages).
    pub ciphertext: String,
    /// ECDSA P-256 raw r‖s over SHA-256(header) ‖ commitment ‖ iv ‖ ciphertext.
    pub signature: String,
    pub keys: Vec<WrappedKeyBody>,
}

/// A checked envelope.
pub struct Envelope {
    pub header: String,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub sender_id: UserId,
    /// Sorted ascending, the sender included.
    pub recipients: Vec<UserId>,
    pub sent_at: i64,
    pub commitment: Vec<u8>,
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub signature: Vec<u8>,
    /// In recipient order.
    pub keys: Vec<(UserId, Vec<u8>)>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::bad(code, message)
}

fn canonical_uuid(value: &Value, field: &str) -> Result<Uuid, AppError> {
    let text = value.as_str().ok_or_else(|| {
        invalid(
            "invalid_header",
            format!("header.{field} must be a UUID string"),
        )
    })?;
    let id = Uuid::parse_str(text)
        .map_err(|_| invalid("invalid_header", format!("header.{field} is not a UUID")))?;
    if id.hyphenated().to_string() != text {
        return Err(invalid(
            "invalid_header",
            format!("header.{field} must be a lowercase hyphenated UUID"),
        ));
    }
    Ok(id)
}

impl Envelope {
    pub fn parse(body: EnvelopeBody) -> Result<Self, AppError> {
        if body.header.len() > MAX_HEADER {
            return Err(invalid("invalid_header", "header too long"));
        }
        let parsed: Value = serde_json::from_str(&body.header)
            .map_err(|_| invalid("invalid_header", "header is not JSON"))?;
        let obj = parsed
            .as_object()
            .ok_or_else(|| invalid("invalid_header", "header is not a JSON object"))?;
        // serde_json's map is ordered by key, so re-serialising gives the canonical form.
        if serde_json::to_string(&parsed).ok().as_deref() != Some(body.header.as_str()) {
            return Err(invalid(
                "non_canonical_header",
                "header must be canonical JSON: sorted keys, no whitespace",
            ));
        }
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        if keys != HEADER_FIELDS {
            return Err(invalid(
                "invalid_header",
                format!("header fields must be exactly {HEADER_FIELDS:?}"),
            ));
        }
        if obj["v"].as_u64() != Some(VERSION) {
            return Err(invalid(
                "envelope_version",
                "header.v must be 2: only the key-committing v2 envelope is accepted (v1 is read-only)",
            ));
        }
        let conversation_id =
            ConversationId(canonical_uuid(&obj["conversation_id"], "conversation_id")?);
        let message_id = MessageId(canonical_uuid(&obj["message_id"], "message_id")?);
        let sender_id = UserId(canonical_uuid(&obj["sender_id"], "sender_id")?);
        let content_type = obj["content_type"].as_str().unwrap_or("");
        let ok_type = (1..=100).contains(&content_type.len())
            && content_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./+-_".contains(&b));
        if !ok_type {
            return Err(invalid(
                "invalid_header",
                "header.content_type must be a lowercase media type",
            ));
        }
        let sent_at = obj["sent_at"]
            .as_u64()
            .filter(|t| *t <= 1 << 53)
            .ok_or_else(|| {
                invalid(
                    "invalid_header",
                    "header.sent_at must be integer milliseconds",
                )
            })? as i64;
        let list = obj["recipients"]
            .as_array()
            .ok_or_else(|| invalid("invalid_header", "header.recipients must be an array"))?;
        let recipients = list
            .iter()
            .map(|v| canonical_uuid(v, "recipients").map(UserId))
            .collect::<Result<Vec<_>, _>>()?;
        if recipients.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(
                "invalid_header",
                "header.recipients must be sorted and unique",
            ));
        }
        if !recipients.contains(&sender_id) {
            return Err(invalid(
                "invalid_header",
                "header.recipients must include the sender",
            ));
        }

        let commitment = body.commitment.as_deref().ok_or_else(|| {
            invalid(
                "invalid_field",
                "`envelope.commitment` is required in a v2 envelope (32 bytes, base64)",
            )
        })?;
        let commitment = decode(
            "envelope.commitment",
            commitment,
            COMMITMENT_LEN,
            COMMITMENT_LEN,
        )?;
        let iv = decode("envelope.iv", &body.iv, IV_LEN, IV_LEN)?;
        let ciphertext = decode(
            "envelope.ciphertext",
            &body.ciphertext,
            TAG_LEN,
            MAX_PLAINTEXT + TAG_LEN,
        )?;
        if ciphertext.len() == TAG_LEN {
            // Only the GCM tag: the plaintext is empty. Clients never send one; refuse it so no
            // one is shown an empty bubble.
            return Err(invalid(
                "empty_message",
                "the message is empty: a ciphertext of only the 16-byte tag",
            ));
        }
        let signature = decode(
            "envelope.signature",
            &body.signature,
            SIGNATURE_LEN,
            SIGNATURE_LEN,
        )?;

        let mut wrapped = Vec::with_capacity(body.keys.len());
        for k in &body.keys {
            let key = decode(
                "envelope.keys[].wrapped_key",
                &k.wrapped_key,
                WRAPPED_KEY.0,
                WRAPPED_KEY.1,
            )?;
            wrapped.push((UserId(k.user_id), key));
        }
        wrapped.sort_by_key(|(u, _)| *u);
        if wrapped.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(invalid(
                "duplicate_key",
                "more than one wrapped key for a recipient",
            ));
        }
        if let Some(missing) = recipients
            .iter()
            .find(|r| wrapped.binary_search_by_key(*r, |(u, _)| *u).is_err())
        {
            return Err(invalid(
                "missing_key",
                format!("no wrapped key for recipient {missing}"),
            ));
        }
        if wrapped.len() != recipients.len() {
            return Err(invalid(
                "extra_key",
                "a wrapped key names someone who is not a recipient",
            ));
        }
        Ok(Envelope {
            header: body.header,
            conversation_id,
            message_id,
            sender_id,
            recipients,
            sent_at,
            commitment,
            iv,
            ciphertext,
            signature,
            keys: wrapped,
        })
    }
}
