//! Sealing and opening message envelopes (docs/protocol.md §5; v2, key-committing; legacy v1
//! opened only).
//!
//! Policy: `h = SHA-256(header)` is bound into every layer: it is the AES-GCM AAD of the
//! ciphertext, the OAEP label of every wrapped content key, and the first part of what the
//! sender signs. v2 adds a key commitment, `commitment = HMAC-SHA256(K, "courier/v2/commit" ‖ h)`,
//! inside the signed data (`h ‖ commitment ‖ iv ‖ ciphertext`): AES-GCM does not bind a
//! ciphertext to one key and the signature cannot cover the per-recipient wrapped keys, so
//! without it a sender could give each recipient a different key and one signed message would
//! read differently for each. Opening checks, in this order, before any plaintext exists: the
//! header is canonical (v2, or legacy v1); it names the conversation, sender (and message id,
//! when known) the event claims, and the reader among its recipients; the signature verifies
//! under the sender's pinned signing key; the content key is unwrapped and (v2) must match the
//! commitment, compared in constant time. Only then is the message decrypted. Every failure is
//! a distinct [`CryptoError`]; the client shows any of them as "could not verify", never as
//! text. [`seal`] writes only v2; a v1 message opens the v1 way and the caller marks it.

use crate::limits::{
    COMMITMENT_LEN, COMMIT_LABEL, ENVELOPE_VERSION, IV_LEN, KEY_LEN, LEGACY_VERSION, SIGNATURE_LEN,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{CryptoError, Result};
use super::header::Header;
use super::keys::UnlockedAccount;
use super::primitives::{
    aes_gcm_open, aes_gcm_seal, ecdsa_verify, hmac_sha256, hmac_sha256_verify, random_array,
    rsa_oaep_encrypt,
};
use super::validate::{validate_enc_public, validate_sig_public};

/// One recipient's copy of the content key: `{user_id, wrapped_key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientKey {
    pub user_id: Uuid,
    #[serde(with = "super::b64::bytes")]
    pub wrapped_key: Vec<u8>,
}

/// The envelope as posted: `{header, commitment, iv, ciphertext, signature, keys: [{user_id,
/// wrapped_key}]}`, binary fields in base64; `commitment` only in v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub header: String,
    #[serde(
        default,
        with = "super::b64::opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub commitment: Option<Vec<u8>>,
    #[serde(with = "super::b64::bytes")]
    pub iv: Vec<u8>,
    #[serde(with = "super::b64::bytes")]
    pub ciphertext: Vec<u8>,
    #[serde(with = "super::b64::bytes")]
    pub signature: Vec<u8>,
    pub keys: Vec<RecipientKey>,
}

impl Envelope {
    /// What the server hands `user_id`: everything but the other recipients' keys.
    pub fn for_recipient(&self, user_id: Uuid) -> Option<ReceivedMessage> {
        let key = self.keys.iter().find(|k| k.user_id == user_id)?;
        Some(ReceivedMessage {
            header: self.header.clone(),
            commitment: self.commitment.clone(),
            iv: self.iv.clone(),
            ciphertext: self.ciphertext.clone(),
            signature: self.signature.clone(),
            wrapped_key: key.wrapped_key.clone(),
        })
    }
}

/// A message as one recipient receives it (history item or `message` event). Deserialises
/// straight from the server's message object; other fields there are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    pub header: String,
    /// The v2 key commitment; absent in a legacy v1 message.
    #[serde(
        default,
        with = "super::b64::opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub commitment: Option<Vec<u8>>,
    #[serde(with = "super::b64::bytes")]
    pub iv: Vec<u8>,
    #[serde(with = "super::b64::bytes")]
    pub ciphertext: Vec<u8>,
    #[serde(with = "super::b64::bytes")]
    pub signature: Vec<u8>,
    #[serde(with = "super::b64::bytes")]
    pub wrapped_key: Vec<u8>,
}

/// What the reader expects, from outside the envelope: the conversation it was fetched from,
/// the sender the server's event names, the reader's own id and, when known, the message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenContext {
    pub conversation_id: Uuid,
    pub sender_id: Uuid,
    pub recipient_id: Uuid,
    pub message_id: Option<Uuid>,
}

/// A verified, decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedMessage {
    pub header: Header,
    pub plaintext: Vec<u8>,
}

impl OpenedMessage {
    /// A legacy v1 message: verified, but not key-committing (another recipient may have
    /// read something else). Clients mark it as such.
    pub fn is_legacy(&self) -> bool {
        self.header.version() == LEGACY_VERSION
    }
}

/// Seals `plaintext` for every recipient of `header` (a v2 header: [`Header::new`] makes
/// one; a legacy v1 header is refused). `recipients` gives each recipient's
/// encryption SPKI (from the client's pinned keys) and must cover the header's recipients
/// exactly, sender included. Costs one RSA public operation per recipient.
pub fn seal<K: AsRef<[u8]>>(
    header: &Header,
    plaintext: &[u8],
    sender: &UnlockedAccount,
    recipients: &[(Uuid, K)],
) -> Result<Envelope> {
    if header.version() != ENVELOPE_VERSION {
        return Err(CryptoError::UnsupportedVersion(header.version()));
    }
    let content_key: [u8; KEY_LEN] = random_array()?;
    let iv: [u8; IV_LEN] = random_array()?;
    seal_with(header, plaintext, sender, recipients, &content_key, &iv)
}

/// [`seal`] with a caller-chosen content key and IV, in the header's version (v1 too). Exists
/// for known-answer vectors and tests only: a reused (key, IV) pair breaks AES-GCM.
pub fn seal_with<K: AsRef<[u8]>>(
    header: &Header,
    plaintext: &[u8],
    sender: &UnlockedAccount,
    recipients: &[(Uuid, K)],
    content_key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
) -> Result<Envelope> {
    let mut given: Vec<Uuid> = recipients.iter().map(|(id, _)| *id).collect();
    given.sort_unstable();
    if given != header.recipients() {
        return Err(CryptoError::RecipientMismatch);
    }
    let header_text = header.canonical();
    let h = header.hash();
    let ciphertext = aes_gcm_seal(content_key, iv, &h, plaintext)?;
    let (commitment, signed) = if header.version() == LEGACY_VERSION {
        (None, signature_input(&h, iv, &ciphertext))
    } else {
        let c = commitment(content_key, &h);
        (
            Some(c.to_vec()),
            signature_input_v2(&h, &c, iv, &ciphertext),
        )
    };
    let signature = sender.signer().sign(&signed)?;
    let mut keys = Vec::with_capacity(recipients.len());
    for (user_id, spki) in recipients {
        validate_enc_public(spki.as_ref())?;
        let wrapped_key = rsa_oaep_encrypt(spki.as_ref(), &h, content_key)?;
        keys.push(RecipientKey {
            user_id: *user_id,
            wrapped_key,
        });
    }
    keys.sort_by_key(|k| k.user_id);
    Ok(Envelope {
        header: header_text,
        commitment,
        iv: iv.to_vec(),
        ciphertext,
        signature,
        keys,
    })
}

/// `HMAC-SHA256(K, "courier/v2/commit" ‖ h)`: commits the v2 envelope to its content key.
pub fn commitment(content_key: &[u8; KEY_LEN], h: &[u8; 32]) -> [u8; COMMITMENT_LEN] {
    hmac_sha256(content_key, &commit_data(h))
}

fn commit_data(h: &[u8; 32]) -> Vec<u8> {
    [COMMIT_LABEL.as_bytes(), h.as_slice()].concat()
}

/// `h ‖ commitment ‖ iv ‖ ciphertext`: the bytes the sender of a v2 message signs.
pub fn signature_input_v2(
    h: &[u8; 32],
    commitment: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Vec<u8> {
    [h.as_slice(), commitment, iv, ciphertext].concat()
}

/// `h ‖ iv ‖ ciphertext`: the bytes the sender of a legacy v1 message signed.
pub fn signature_input(h: &[u8; 32], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + iv.len() + ciphertext.len());
    out.extend_from_slice(h);
    out.extend_from_slice(iv);
    out.extend_from_slice(ciphertext);
    out
}

/// Verifies and decrypts a received message; see the module docs for the checks and order.
/// `sender_sig_public` is the sender's pinned signing SPKI, never one taken from the message.
pub fn open(
    message: &ReceivedMessage,
    context: &OpenContext,
    sender_sig_public: &[u8],
    reader: &UnlockedAccount,
) -> Result<OpenedMessage> {
    let header = Header::parse(&message.header)?;
    if header.conversation_id() != context.conversation_id {
        return Err(CryptoError::WrongConversation);
    }
    if header.sender_id() != context.sender_id {
        return Err(CryptoError::WrongSender);
    }
    if context
        .message_id
        .is_some_and(|id| id != header.message_id())
    {
        return Err(CryptoError::WrongMessageId);
    }
    if header
        .recipients()
        .binary_search(&context.recipient_id)
        .is_err()
    {
        return Err(CryptoError::NotARecipient);
    }
    let iv: [u8; IV_LEN] = message
        .iv
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Length {
            field: "iv",
            expected: IV_LEN,
            got: message.iv.len(),
        })?;
    validate_sig_public(sender_sig_public)?;
    let h = header.hash();
    let signed = match (header.version(), &message.commitment) {
        (LEGACY_VERSION, None) => signature_input(&h, &iv, &message.ciphertext),
        (ENVELOPE_VERSION, Some(c)) if c.len() == COMMITMENT_LEN => {
            signature_input_v2(&h, c, &iv, &message.ciphertext)
        }
        _ => return Err(CryptoError::CommitmentShape),
    };
    if message.signature.len() != SIGNATURE_LEN
        || !ecdsa_verify(sender_sig_public, &signed, &message.signature)
    {
        return Err(CryptoError::BadSignature);
    }
    let content_key: [u8; KEY_LEN] = reader
        .decrypter()
        .decrypt(&h, &message.wrapped_key)
        .and_then(|k| k.as_slice().try_into().ok())
        .ok_or(CryptoError::KeyUnwrapFailed)?;
    if let Some(c) = &message.commitment {
        if !hmac_sha256_verify(&content_key, &commit_data(&h), c) {
            return Err(CryptoError::CommitmentMismatch);
        }
    }
    let plaintext = aes_gcm_open(&content_key, &iv, &h, &message.ciphertext)
        .ok_or(CryptoError::DecryptFailed)?;
    Ok(OpenedMessage { header, plaintext })
}
