//! `Envelope::parse`: the posted v2 envelope turned into checked parts, so handlers never
//! re-check.
//!
//! The header is checked by the protocol's one parser, [`Header::parse_posted`] (canonical
//! JSON, exact fields, v2, canonical ids, recipients sorted, unique, 1–256 and including the
//! sender, `sent_at` and `content_type` writer rules: docs/protocol.md §5.1, §6). What this
//! module adds is what only the server checks without keys: the binary fields' sizes (commitment
//! 32 bytes, iv 12, ciphertext more than the 16-byte tag and at most 64 KiB plus tag, signature
//! 64) and one wrapped key per recipient, none missing, extra or repeated, each an RSA-3072 OAEP
//! block. What needs the database (sender is the caller, recipients are the members) is checked
//! by the caller.
//!
//! Policy: new posts must be v2, the key-committing envelope, so a malicious member cannot
//! choose the non-committing v1 form (one signed message that reads differently for each
//! recipient); v1 messages already stored are still served, without a commitment.

use serde::Deserialize;
use uuid::Uuid;

use crate::{accounts::fields::decode, error::AppError};
use courier_protocol::crypto::{CryptoError, Header};
use courier_protocol::ids::{ConversationId, MessageId, UserId};
use courier_protocol::limits::{
    COMMITMENT_LEN, IV_LEN, MAX_PLAINTEXT_LEN, SIGNATURE_LEN, TAG_LEN, WRAPPED_KEY_LEN,
};

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

impl Envelope {
    pub fn parse(body: EnvelopeBody) -> Result<Self, AppError> {
        let header = Header::parse_posted(&body.header).map_err(|e| match e {
            CryptoError::UnsupportedVersion(_) => invalid(
                "envelope_version",
                "header.v must be 2: only the key-committing v2 envelope is accepted (v1 is read-only)",
            ),
            CryptoError::HeaderNotCanonical => invalid(
                "non_canonical_header",
                "header must be canonical JSON: sorted keys, no whitespace",
            ),
            other => invalid("invalid_header", format!("header: {other}")),
        })?;
        let recipients: Vec<UserId> = header.recipients().iter().copied().map(UserId).collect();

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
            MAX_PLAINTEXT_LEN + TAG_LEN,
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
                WRAPPED_KEY_LEN,
                WRAPPED_KEY_LEN,
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
            conversation_id: ConversationId(header.conversation_id()),
            message_id: MessageId(header.message_id()),
            sender_id: UserId(header.sender_id()),
            // At most 2^53 - 1 (checked by the parser): fits an i64.
            sent_at: header.sent_at() as i64,
            header: body.header,
            recipients,
            commitment,
            iv,
            ciphertext,
            signature,
            keys: wrapped,
        })
    }
}
