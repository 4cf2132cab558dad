//! Encrypted attachments (docs/protocol.md §11): the chunked STREAM encryption of a file under
//! a fresh file key, the SHA-256 of its ciphertext, and the attachment descriptor carried inside
//! a message's signed, encrypted content.
//!
//! Format in one paragraph (the spec is authoritative): the ciphertext is a 38-byte header
//! `"CATT" ‖ 0x01 ‖ 0x10 ‖ nonce(32)` followed by chunks. The payload key is
//! `HKDF-SHA256(ikm = file key, salt = header, info = "courier/v1/attachment")`. Chunk `i` is
//! `AES-256-GCM(payload key, iv = BE88(i) ‖ last, aad = empty, plaintext chunk)`, every
//! plaintext chunk but the last exactly 64 KiB, the last 1..=64 KiB (0 only for an empty file),
//! `last` = 0x01 on the final chunk and 0x00 before. So truncation, reordering, swapping,
//! appending and a premature final chunk all fail authentication.
//!
//! Everything here is pure and streaming: [`AttachmentEncryptor`] and [`AttachmentDecryptor`]
//! hold at most one chunk (plus the caller's current piece), so a 100 MiB or 1 GiB file never
//! sits in memory. The decryptor only ever returns plaintext whose chunk has authenticated at
//! its position; the file as a whole is complete and authentic only once
//! [`AttachmentDecryptor::finish`] succeeds, so a caller writes to a temporary place and keeps
//! the result only then. No function panics on hostile input.
//!
//! Parts: [`stream`] (the encryptor and decryptor), [`descriptor`] (what a message says about
//! its attachments). This file holds the format's building blocks both use.

mod descriptor;
mod stream;
#[cfg(test)]
mod tests;

pub use descriptor::{
    is_valid_attachment_name, is_valid_media_type, AttachmentDescriptor, AttachmentMessage,
    Dimensions, Thumbnail,
};
pub use stream::{decrypt, encrypt, AttachmentDecryptor, AttachmentEncryptor, AttachmentSummary};

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::{digest, hkdf};
use serde_json::Value;
use thiserror::Error;
use uuid::Uuid;
use zeroize::Zeroize;

use super::b64;
use super::primitives::random_array;
use crate::limits::{
    ATTACHMENT_CHUNK_SIZE, ATTACHMENT_CHUNK_SIZE_LOG2, ATTACHMENT_CONTENT_TYPE,
    ATTACHMENT_HEADER_LEN, ATTACHMENT_MAGIC, ATTACHMENT_NONCE_LEN, ATTACHMENT_VERSION,
    INFO_ATTACHMENT, IV_LEN, KEY_LEN, MAX_ATTACHMENTS_PER_MESSAGE, MAX_ATTACHMENT_NAME_LEN,
    MAX_IMAGE_DIMENSION, MAX_PLAINTEXT_LEN, MAX_SAFE_INTEGER, MAX_THUMBNAIL_LEN, TAG_LEN,
};

/// Length of one full ciphertext chunk: 64 KiB of plaintext and the 16-byte tag.
pub const CIPHERTEXT_CHUNK_LEN: usize = ATTACHMENT_CHUNK_SIZE + TAG_LEN;

/// Why an attachment ciphertext or descriptor is refused. No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttachmentError {
    /// The ciphertext does not start with the v1 attachment header (magic, version, chunk size).
    #[error("not a Courier attachment v1 header")]
    BadHeader,
    /// A chunk does not authenticate: tampered, reordered, swapped, or marked final too early.
    #[error("attachment chunk {index} does not authenticate")]
    ChunkFailed {
        /// The 0-based index of the chunk that failed.
        index: u64,
    },
    /// The ciphertext ends early: inside the header, inside a chunk, or without a final chunk.
    #[error("attachment ciphertext is truncated")]
    Truncated,
    /// Bytes follow the final chunk, or more bytes arrived than the descriptor announces.
    #[error("attachment ciphertext has trailing data")]
    TrailingData,
    /// An empty final chunk after other chunks: not the one canonical encoding.
    #[error("attachment ends with an empty chunk after data")]
    EmptyFinalChunk,
    /// The chunk counter would overflow, or a size exceeds 2^53 − 1.
    #[error("attachment too large")]
    TooLarge,
    /// The ciphertext's SHA-256 is not the one the descriptor carries.
    #[error("attachment ciphertext hash does not match")]
    HashMismatch,
    /// The decrypted size or the ciphertext size is not the one the descriptor carries.
    #[error("attachment size does not match its descriptor")]
    SizeMismatch,
    /// The decryptor was used after an error or after `finish`.
    #[error("attachment stream already failed or finished")]
    Poisoned,
    /// The message content or a descriptor breaks a rule of §11.4; says which.
    #[error("invalid attachment content: {0}")]
    InvalidContent(&'static str),
    /// An underlying primitive failed where it should not (RNG, key setup).
    #[error("crypto primitive failed: {0}")]
    Primitive(&'static str),
}

/// Result alias of this module.
pub type Result<T, E = AttachmentError> = std::result::Result<T, E>;

/// A 32-byte file key: fresh and random for each file, carried in the descriptor.
/// Zeroised on drop; prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey([u8; KEY_LEN]);

impl FileKey {
    /// A fresh random file key.
    pub fn generate() -> Result<Self> {
        random_array()
            .map(Self)
            .map_err(|_| AttachmentError::Primitive("random"))
    }

    /// Wraps existing key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl Drop for FileKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(***)")
    }
}

/// The attachment header for `nonce`: `"CATT" ‖ 0x01 ‖ 0x10 ‖ nonce`.
pub fn header(nonce: &[u8; ATTACHMENT_NONCE_LEN]) -> [u8; ATTACHMENT_HEADER_LEN] {
    let mut out = [0u8; ATTACHMENT_HEADER_LEN];
    out[..4].copy_from_slice(ATTACHMENT_MAGIC.as_bytes());
    out[4] = ATTACHMENT_VERSION;
    out[5] = ATTACHMENT_CHUNK_SIZE_LOG2;
    out[6..].copy_from_slice(nonce);
    out
}

/// The payload key: `HKDF-SHA256(ikm = file_key, salt = header, info = "courier/v1/attachment")`,
/// 32 bytes. Exposed for the known-answer vectors; callers use the encryptor and decryptor.
pub fn payload_key(file_key: &FileKey, header: &[u8; ATTACHMENT_HEADER_LEN]) -> [u8; KEY_LEN] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, header).extract(file_key.as_bytes());
    let mut out = [0u8; KEY_LEN];
    let info = [INFO_ATTACHMENT.as_bytes()];
    if let Ok(okm) = prk.expand(&info, hkdf::HKDF_SHA256) {
        if okm.fill(&mut out).is_ok() {
            return out;
        }
    }
    unreachable!("HKDF-SHA256 of 32 bytes cannot fail")
}

/// The 12-byte GCM IV of chunk `index`: the index as an 11-byte big-endian integer, then
/// 0x01 for the final chunk or 0x00.
pub fn chunk_iv(index: u64, last: bool) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv[3..11].copy_from_slice(&index.to_be_bytes());
    iv[11] = u8::from(last);
    iv
}

/// The ciphertext size of a file of `size` plaintext bytes:
/// `38 + size + 16 × max(1, ⌈size / 65536⌉)`; `None` above 2^53 − 1.
pub fn ciphertext_size(size: u64) -> Option<u64> {
    let chunk = ATTACHMENT_CHUNK_SIZE as u64;
    let chunks = size.div_ceil(chunk).max(1);
    let total = (ATTACHMENT_HEADER_LEN as u64)
        .checked_add(size)?
        .checked_add(chunks.checked_mul(TAG_LEN as u64)?)?;
    (total <= MAX_SAFE_INTEGER).then_some(total)
}

fn gcm(key: &[u8; KEY_LEN]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| AttachmentError::Primitive("aes-gcm key"))
}
