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
    MAX_IMAGE_DIMENSION, MAX_PLAINTEXT_LEN, MAX_SAFE_INTEGER, MAX_THUMBNAIL_LEN,
    MAX_WRITER_CONTENT_TYPE_LEN, TAG_LEN,
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

/// What an encryptor or decryptor saw once the whole ciphertext went through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSummary {
    /// SHA-256 of the whole ciphertext, header included (the descriptor's `sha256`).
    pub sha256: [u8; 32],
    /// Plaintext bytes (the descriptor's `size`).
    pub size: u64,
    /// Ciphertext bytes, header included (the descriptor's `ciphertext_size`).
    pub ciphertext_size: u64,
}

/// Encrypts a file as it streams: push plaintext pieces of any size with
/// [`update`](Self::update), take the ciphertext bytes each call returns (the first call's
/// start with the header), then [`finish`](Self::finish). Holds at most one chunk.
pub struct AttachmentEncryptor {
    key: LessSafeKey,
    header: Option<[u8; ATTACHMENT_HEADER_LEN]>,
    pending: Vec<u8>,
    index: u64,
    hash: digest::Context,
    size: u64,
    ciphertext_size: u64,
}

impl AttachmentEncryptor {
    /// An encryptor under `file_key` with a fresh random header nonce (what real use does).
    pub fn new(file_key: &FileKey) -> Result<Self> {
        let nonce = random_array().map_err(|_| AttachmentError::Primitive("random"))?;
        Self::with_nonce(file_key, &nonce)
    }

    /// An encryptor with a caller-chosen nonce. Only for known-answer vectors: a nonce must
    /// never repeat under one file key.
    pub fn with_nonce(file_key: &FileKey, nonce: &[u8; ATTACHMENT_NONCE_LEN]) -> Result<Self> {
        let header = header(nonce);
        let mut key = payload_key(file_key, &header);
        let gcm = gcm(&key);
        key.zeroize();
        Ok(Self {
            key: gcm?,
            header: Some(header),
            pending: Vec::with_capacity(ATTACHMENT_CHUNK_SIZE),
            index: 0,
            hash: digest::Context::new(&digest::SHA256),
            size: 0,
            ciphertext_size: 0,
        })
    }

    /// Takes the next plaintext piece; returns the ciphertext bytes now ready (possibly none:
    /// a full chunk is held back until it is known not to be the last one).
    pub fn update(&mut self, mut plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if let Some(header) = self.header.take() {
            self.emit(&mut out, &header);
        }
        while !plaintext.is_empty() {
            if self.pending.len() == ATTACHMENT_CHUNK_SIZE {
                // More data follows, so the held chunk is not the last one.
                self.seal_pending(&mut out, false)?;
            }
            let take = (ATTACHMENT_CHUNK_SIZE - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
            self.size = self
                .size
                .checked_add(take as u64)
                .ok_or(AttachmentError::TooLarge)?;
        }
        Ok(out)
    }

    /// Seals the final chunk (empty only if the whole file is); returns the last ciphertext
    /// bytes and the summary for the descriptor.
    pub fn finish(mut self) -> Result<(Vec<u8>, AttachmentSummary)> {
        let mut out = Vec::new();
        if let Some(header) = self.header.take() {
            self.emit(&mut out, &header);
        }
        self.seal_pending(&mut out, true)?;
        let sha256 = finish_hash(self.hash.clone());
        if ciphertext_size(self.size) != Some(self.ciphertext_size) {
            return Err(AttachmentError::TooLarge);
        }
        Ok((
            out,
            AttachmentSummary {
                sha256,
                size: self.size,
                ciphertext_size: self.ciphertext_size,
            },
        ))
    }

    fn seal_pending(&mut self, out: &mut Vec<u8>, last: bool) -> Result<()> {
        if self.index >> 56 != 0 {
            return Err(AttachmentError::TooLarge);
        }
        let mut chunk = std::mem::take(&mut self.pending);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(chunk_iv(self.index, last)),
                Aad::empty(),
                &mut chunk,
            )
            .map_err(|_| AttachmentError::Primitive("aes-gcm seal"))?;
        self.emit(out, &chunk);
        self.index += 1;
        chunk.clear();
        self.pending = chunk;
        Ok(())
    }

    fn emit(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        self.hash.update(bytes);
        self.ciphertext_size += bytes.len() as u64;
        out.extend_from_slice(bytes);
    }
}

impl Drop for AttachmentEncryptor {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

fn finish_hash(ctx: digest::Context) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Encrypts a whole in-memory file with a random nonce (small files, tests).
pub fn encrypt(file_key: &FileKey, plaintext: &[u8]) -> Result<(Vec<u8>, AttachmentSummary)> {
    let mut enc = AttachmentEncryptor::new(file_key)?;
    let mut out = enc.update(plaintext)?;
    let (tail, summary) = enc.finish()?;
    out.extend_from_slice(&tail);
    Ok((out, summary))
}

/// What the descriptor promises, checked by a decryptor made with
/// [`AttachmentDecryptor::for_descriptor`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    sha256: [u8; 32],
    size: u64,
    ciphertext_size: u64,
}

/// Decrypts a ciphertext as it streams: push bytes in pieces of any size with
/// [`update`](Self::update) and take the verified plaintext each call returns; then
/// [`finish`](Self::finish), which checks the final chunk, the end of the stream and (for a
/// descriptor) the hash and sizes. After any error every further call fails.
pub struct AttachmentDecryptor {
    file_key: FileKey,
    key: Option<LessSafeKey>,
    buf: Vec<u8>,
    index: u64,
    hash: digest::Context,
    size: u64,
    ciphertext_size: u64,
    expected: Option<Expected>,
    poisoned: bool,
}

impl AttachmentDecryptor {
    /// A decryptor under `file_key`, checking only the stream itself.
    pub fn new(file_key: &FileKey) -> Self {
        Self {
            file_key: file_key.clone(),
            key: None,
            buf: Vec::new(),
            index: 0,
            hash: digest::Context::new(&digest::SHA256),
            size: 0,
            ciphertext_size: 0,
            expected: None,
            poisoned: false,
        }
    }

    /// A decryptor for the file a descriptor describes: its key, and at the end its
    /// `sha256`, `size` and `ciphertext_size`; bytes beyond `ciphertext_size` fail at once.
    pub fn for_descriptor(descriptor: &AttachmentDescriptor) -> Self {
        let mut dec = Self::new(&descriptor.key);
        dec.expected = Some(Expected {
            sha256: descriptor.sha256,
            size: descriptor.size,
            ciphertext_size: descriptor.ciphertext_size,
        });
        dec
    }

    /// Takes the next ciphertext piece; returns the plaintext of every chunk that completed
    /// and authenticated (a full chunk is held until it is known whether it is the last).
    pub fn update(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        if self.poisoned {
            return Err(AttachmentError::Poisoned);
        }
        let result = self.update_inner(ciphertext);
        if result.is_err() {
            self.poison();
        }
        result
    }

    fn update_inner(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        self.ciphertext_size = self
            .ciphertext_size
            .checked_add(ciphertext.len() as u64)
            .ok_or(AttachmentError::TooLarge)?;
        if let Some(expected) = &self.expected {
            if self.ciphertext_size > expected.ciphertext_size {
                return Err(AttachmentError::TrailingData);
            }
        }
        self.hash.update(ciphertext);
        self.buf.extend_from_slice(ciphertext);
        let mut start = 0;
        if self.key.is_none() {
            if self.buf.len() < ATTACHMENT_HEADER_LEN {
                return Ok(Vec::new());
            }
            self.key = Some(self.read_header()?);
            start = ATTACHMENT_HEADER_LEN;
        }
        let mut out = Vec::new();
        // Strictly more than one full chunk buffered: the first one cannot be the last.
        while self.buf.len() - start > CIPHERTEXT_CHUNK_LEN {
            let end = start + CIPHERTEXT_CHUNK_LEN;
            let plain = self.open_chunk(start, end, false)?;
            out.extend_from_slice(&plain);
            start = end;
        }
        self.buf.drain(..start);
        Ok(out)
    }

    /// Ends the stream: opens the final chunk and returns its plaintext with the summary.
    /// Fails on truncation, an empty final chunk after data, or (for a descriptor) a hash or
    /// size mismatch; the caller must then discard everything this decryptor returned.
    pub fn finish(mut self) -> Result<(Vec<u8>, AttachmentSummary)> {
        if self.poisoned {
            return Err(AttachmentError::Poisoned);
        }
        let result = self.finish_inner();
        if result.is_err() {
            self.poison();
        }
        result
    }

    fn finish_inner(&mut self) -> Result<(Vec<u8>, AttachmentSummary)> {
        if self.key.is_none() {
            if self.buf.len() < ATTACHMENT_HEADER_LEN {
                return Err(AttachmentError::Truncated);
            }
            self.key = Some(self.read_header()?);
            self.buf.drain(..ATTACHMENT_HEADER_LEN);
        }
        if self.buf.len() < TAG_LEN {
            return Err(AttachmentError::Truncated);
        }
        // `update` leaves at most one full chunk in the buffer.
        let plain = self.open_chunk(0, self.buf.len(), true)?;
        if plain.is_empty() && self.index > 1 {
            return Err(AttachmentError::EmptyFinalChunk);
        }
        self.buf.clear();
        let summary = AttachmentSummary {
            sha256: finish_hash(self.hash.clone()),
            size: self.size,
            ciphertext_size: self.ciphertext_size,
        };
        if let Some(expected) = &self.expected {
            if summary.sha256 != expected.sha256 {
                return Err(AttachmentError::HashMismatch);
            }
            if summary.size != expected.size || summary.ciphertext_size != expected.ciphertext_size
            {
                return Err(AttachmentError::SizeMismatch);
            }
        }
        Ok((plain, summary))
    }

    fn read_header(&self) -> Result<LessSafeKey> {
        let header: [u8; ATTACHMENT_HEADER_LEN] = self.buf[..ATTACHMENT_HEADER_LEN]
            .try_into()
            .map_err(|_| AttachmentError::Truncated)?;
        if &header[..4] != ATTACHMENT_MAGIC.as_bytes()
            || header[4] != ATTACHMENT_VERSION
            || header[5] != ATTACHMENT_CHUNK_SIZE_LOG2
        {
            return Err(AttachmentError::BadHeader);
        }
        let mut key = payload_key(&self.file_key, &header);
        let gcm = gcm(&key);
        key.zeroize();
        gcm
    }

    fn open_chunk(&mut self, start: usize, end: usize, last: bool) -> Result<Vec<u8>> {
        let index = self.index;
        if index >> 56 != 0 {
            return Err(AttachmentError::TooLarge);
        }
        let key = self.key.as_ref().ok_or(AttachmentError::Truncated)?;
        let mut chunk = self.buf[start..end].to_vec();
        let len = key
            .open_in_place(
                Nonce::assume_unique_for_key(chunk_iv(index, last)),
                Aad::empty(),
                &mut chunk,
            )
            .map_err(|_| AttachmentError::ChunkFailed { index })?
            .len();
        chunk.truncate(len);
        self.index += 1;
        self.size += len as u64;
        Ok(chunk)
    }

    fn poison(&mut self) {
        self.poisoned = true;
        self.key = None;
        self.buf.zeroize();
        self.buf = Vec::new();
    }
}

/// Decrypts a whole in-memory ciphertext (small files, tests): all or nothing.
pub fn decrypt(file_key: &FileKey, ciphertext: &[u8]) -> Result<(Vec<u8>, AttachmentSummary)> {
    let mut dec = AttachmentDecryptor::new(file_key);
    let mut out = dec.update(ciphertext)?;
    let (tail, summary) = dec.finish()?;
    out.extend_from_slice(&tail);
    Ok((out, summary))
}

// ---------------------------------------------------------------------------------------------
// The descriptor and the message content (§11.4).

/// Image dimensions a descriptor may state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    /// Width in pixels, 1..=65535.
    pub width: u64,
    /// Height in pixels, 1..=65535.
    pub height: u64,
}

/// An inline thumbnail: a small JPEG, PNG or WebP image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// `image/jpeg`, `image/png` or `image/webp`; the bytes start with that format's signature.
    pub media_type: String,
    /// The image bytes, at most 16 KiB.
    pub bytes: Vec<u8>,
}

/// One attachment as its message describes it (docs/protocol.md §11.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentDescriptor {
    /// The server's id of the uploaded ciphertext.
    pub attachment_id: Uuid,
    /// The file key.
    pub key: FileKey,
    /// SHA-256 of the whole ciphertext.
    pub sha256: [u8; 32],
    /// The file name the sender gives (display only; sanitise again before saving).
    pub name: String,
    /// The media type the sender claims (a claim: never a reason to render active content).
    pub media_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// Ciphertext size in bytes; always [`ciphertext_size`]`(size)`.
    pub ciphertext_size: u64,
    /// Image dimensions, when the sender states them.
    pub dimensions: Option<Dimensions>,
    /// An inline thumbnail, when the sender gives one.
    pub thumbnail: Option<Thumbnail>,
}

/// The plaintext of a message of content type `application/vnd.courier.attachment+json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMessage {
    /// An optional caption (non-empty when present).
    pub text: Option<String>,
    /// One to ten attachments, distinct ids.
    pub attachments: Vec<AttachmentDescriptor>,
}

const THUMBNAIL_TYPES: [(&str, &[u8]); 3] = [
    ("image/jpeg", &[0xff, 0xd8, 0xff]),
    (
        "image/png",
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a],
    ),
    ("image/webp", b"RIFF"),
];

/// Whether `media_type` follows the writer content_type rule: 1–100 of `a-z 0-9 . / + - _`.
pub fn is_valid_media_type(media_type: &str) -> bool {
    !media_type.is_empty()
        && media_type.len() <= MAX_WRITER_CONTENT_TYPE_LEN
        && media_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".+-_/".contains(&b))
}

/// Whether `name` is an acceptable attachment name: 1–255 Unicode scalar values, not `.` or
/// `..`, without `/`, `\`, control characters (U+0000–U+001F, U+007F–U+009F) or bidi
/// controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn is_valid_attachment_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_ATTACHMENT_NAME_LEN).contains(&count)
        && name != "."
        && name != ".."
        && !name.chars().any(|c| {
            matches!(c, '/' | '\\' | '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
                | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
}

fn invalid<T>(why: &'static str) -> Result<T> {
    Err(AttachmentError::InvalidContent(why))
}

/// Whether `text` is a lowercase hyphenated UUID (`8-4-4-4-12` of `0-9 a-f`).
fn is_lower_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Canonical JSON of the shapes used here (RFC 8785 for strings, safe integers, sorted ASCII
/// keys); `None` for anything else (floats, integers above 2^53 − 1).
fn canonical(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null | Value::Bool(_) | Value::String(_) => serde_json::to_string(value).ok()?,
        Value::Number(n) => {
            let i = n.as_i64()?;
            if i.unsigned_abs() > MAX_SAFE_INTEGER {
                return None;
            }
            i.to_string()
        }
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(canonical).collect();
            format!("[{}]", parts?.join(","))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // Sorted by UTF-16 code units, as RFC 8785 says.
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let mut parts = Vec::with_capacity(keys.len());
            for k in keys {
                parts.push(format!(
                    "{}:{}",
                    serde_json::to_string(k).ok()?,
                    canonical(&map[k])?
                ));
            }
            format!("{{{}}}", parts.join(","))
        }
    })
}

fn get_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
    why: &'static str,
) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map_or_else(|| invalid(why), Ok)
}

fn get_int(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    why: &'static str,
) -> Result<Option<u64>> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= MAX_SAFE_INTEGER => Ok(Some(n)),
            _ => invalid(why),
        },
    }
}

const DESCRIPTOR_FIELDS: [&str; 11] = [
    "attachment_id",
    "ciphertext_size",
    "height",
    "key",
    "media_type",
    "name",
    "sha256",
    "size",
    "thumbnail",
    "thumbnail_media_type",
    "width",
];

impl AttachmentDescriptor {
    /// Validates one descriptor object (§11.4). Used by [`AttachmentMessage::parse`].
    pub fn from_json(value: &Value) -> Result<Self> {
        let obj = value
            .as_object()
            .map_or_else(|| invalid("descriptor is not an object"), Ok)?;
        if obj.keys().any(|k| !DESCRIPTOR_FIELDS.contains(&k.as_str())) {
            return invalid("unknown descriptor field");
        }
        let id = get_str(obj, "attachment_id", "attachment_id missing")?;
        if !is_lower_uuid(id) {
            return invalid("attachment_id is not a lowercase UUID");
        }
        let attachment_id =
            Uuid::parse_str(id).map_err(|_| AttachmentError::InvalidContent("attachment_id"))?;
        let key = b64::decode_array::<KEY_LEN>("key", get_str(obj, "key", "key missing")?)
            .map_err(|_| AttachmentError::InvalidContent("key is not 32 bytes of base64"))?;
        let sha256 =
            b64::decode_array::<32>("sha256", get_str(obj, "sha256", "sha256 missing")?)
                .map_err(|_| AttachmentError::InvalidContent("sha256 is not 32 bytes of base64"))?;
        let name = get_str(obj, "name", "name missing")?;
        if !is_valid_attachment_name(name) {
            return invalid("invalid name");
        }
        let media_type = get_str(obj, "media_type", "media_type missing")?;
        if !is_valid_media_type(media_type) {
            return invalid("invalid media_type");
        }
        let size = get_int(obj, "size", "size is not an integer 0..2^53-1")?
            .map_or_else(|| invalid("size missing"), Ok)?;
        let ct_size = get_int(obj, "ciphertext_size", "ciphertext_size is not an integer")?
            .map_or_else(|| invalid("ciphertext_size missing"), Ok)?;
        if ciphertext_size(size) != Some(ct_size) {
            return invalid("ciphertext_size does not match size");
        }
        let dim = |k| get_int(obj, k, "width/height must be integers 1..65535");
        let dimensions = match (dim("width")?, dim("height")?) {
            (None, None) => None,
            (Some(width), Some(height))
                if (1..=MAX_IMAGE_DIMENSION).contains(&width)
                    && (1..=MAX_IMAGE_DIMENSION).contains(&height) =>
            {
                Some(Dimensions { width, height })
            }
            _ => return invalid("width and height must both be present, 1..65535"),
        };
        let thumbnail = match (obj.get("thumbnail"), obj.get("thumbnail_media_type")) {
            (None, None) => None,
            (Some(Value::String(t)), Some(Value::String(mt))) => {
                let bytes = b64::decode("thumbnail", t)
                    .map_err(|_| AttachmentError::InvalidContent("thumbnail is not base64"))?;
                if bytes.is_empty() || bytes.len() > MAX_THUMBNAIL_LEN {
                    return invalid("thumbnail must be 1..16384 bytes");
                }
                let Some((_, magic)) = THUMBNAIL_TYPES.iter().find(|(t, _)| t == mt) else {
                    return invalid(
                        "thumbnail_media_type must be image/jpeg, image/png or image/webp",
                    );
                };
                let webp_ok = mt != "image/webp" || bytes.get(8..12) == Some(b"WEBP".as_slice());
                if !bytes.starts_with(magic) || !webp_ok {
                    return invalid("thumbnail bytes are not of thumbnail_media_type");
                }
                Some(Thumbnail {
                    media_type: mt.clone(),
                    bytes,
                })
            }
            _ => return invalid("thumbnail and thumbnail_media_type go together, as strings"),
        };
        Ok(Self {
            attachment_id,
            key: FileKey::from_bytes(key),
            sha256,
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size,
            ciphertext_size: ct_size,
            dimensions,
            thumbnail,
        })
    }

    /// The descriptor as a JSON object (serialise it canonically with [`AttachmentMessage`]).
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "attachment_id".into(),
            self.attachment_id.to_string().into(),
        );
        obj.insert("key".into(), b64::encode(self.key.as_bytes()).into());
        obj.insert("sha256".into(), b64::encode(self.sha256).into());
        obj.insert("name".into(), self.name.clone().into());
        obj.insert("media_type".into(), self.media_type.clone().into());
        obj.insert("size".into(), self.size.into());
        obj.insert("ciphertext_size".into(), self.ciphertext_size.into());
        if let Some(d) = self.dimensions {
            obj.insert("width".into(), d.width.into());
            obj.insert("height".into(), d.height.into());
        }
        if let Some(t) = &self.thumbnail {
            obj.insert("thumbnail".into(), b64::encode(&t.bytes).into());
            obj.insert("thumbnail_media_type".into(), t.media_type.clone().into());
        }
        Value::Object(obj)
    }
}

impl AttachmentMessage {
    /// The message content type these messages carry.
    pub const CONTENT_TYPE: &'static str = ATTACHMENT_CONTENT_TYPE;

    /// Parses and validates a decrypted plaintext (§11.4): UTF-8, canonical JSON, exactly the
    /// known fields, every descriptor rule. Anything else is refused as a whole.
    pub fn parse(plaintext: &[u8]) -> Result<Self> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return invalid("content longer than a message plaintext");
        }
        let text = std::str::from_utf8(plaintext)
            .map_err(|_| AttachmentError::InvalidContent("content is not UTF-8"))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|_| AttachmentError::InvalidContent("content is not JSON"))?;
        if canonical(&value).as_deref() != Some(text) {
            return invalid("content is not canonical JSON");
        }
        let obj = value
            .as_object()
            .map_or_else(|| invalid("content is not an object"), Ok)?;
        if obj.keys().any(|k| k != "text" && k != "attachments") {
            return invalid("unknown content field");
        }
        let caption = match obj.get("text") {
            None => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
            Some(_) => return invalid("text must be a non-blank string"),
        };
        let items = obj
            .get("attachments")
            .and_then(Value::as_array)
            .map_or_else(|| invalid("attachments missing"), Ok)?;
        if items.is_empty() || items.len() > MAX_ATTACHMENTS_PER_MESSAGE {
            return invalid("attachments must hold 1..10 descriptors");
        }
        let attachments = items
            .iter()
            .map(AttachmentDescriptor::from_json)
            .collect::<Result<Vec<_>>>()?;
        for (i, a) in attachments.iter().enumerate() {
            if attachments[..i]
                .iter()
                .any(|b| b.attachment_id == a.attachment_id)
            {
                return invalid("duplicate attachment_id");
            }
        }
        Ok(Self {
            text: caption,
            attachments,
        })
    }

    /// The canonical JSON plaintext to seal with content type
    /// `application/vnd.courier.attachment+json`. Refuses content a reader would refuse.
    pub fn to_plaintext(&self) -> Result<Vec<u8>> {
        let mut obj = serde_json::Map::new();
        if let Some(t) = &self.text {
            obj.insert("text".into(), t.clone().into());
        }
        let items: Vec<Value> = self
            .attachments
            .iter()
            .map(AttachmentDescriptor::to_json)
            .collect();
        obj.insert("attachments".into(), Value::Array(items));
        let text =
            canonical(&Value::Object(obj)).map_or_else(|| invalid("not serialisable"), Ok)?;
        Self::parse(text.as_bytes())?;
        Ok(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: usize = ATTACHMENT_CHUNK_SIZE;
    const CT: usize = CIPHERTEXT_CHUNK_LEN;
    const H: usize = ATTACHMENT_HEADER_LEN;

    fn key() -> FileKey {
        FileKey::from_bytes([7; 32])
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn enc(len: usize) -> Vec<u8> {
        encrypt(&key(), &pattern(len)).unwrap().0
    }

    #[test]
    fn round_trips_at_the_chunk_boundaries() {
        for len in [0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 17] {
            let pt = pattern(len);
            let (ct, summary) = encrypt(&key(), &pt).unwrap();
            assert_eq!(
                ct.len() as u64,
                ciphertext_size(len as u64).unwrap(),
                "len {len}"
            );
            assert_eq!(summary.ciphertext_size, ct.len() as u64);
            assert_eq!(summary.size, len as u64);
            assert_eq!(summary.sha256, super::super::primitives::sha256(&ct));
            let (back, opened) = decrypt(&key(), &ct).unwrap();
            assert_eq!(back, pt, "len {len}");
            assert_eq!(opened, summary);
        }
    }

    #[test]
    fn the_layout_is_header_then_chunks() {
        assert_eq!(
            enc(0).len(),
            H + TAG_LEN,
            "an empty file is one empty final chunk"
        );
        assert_eq!(
            enc(C).len(),
            H + CT,
            "exactly one chunk: one full final chunk"
        );
        assert_eq!(enc(C + 1).len(), H + CT + 1 + TAG_LEN);
        let ct = enc(5);
        assert_eq!(&ct[..6], b"CATT\x01\x10");
    }

    #[test]
    fn pieces_of_any_size_give_the_same_bytes_both_ways() {
        let pt = pattern(3 * C + 100);
        let nonce = [9u8; 32];
        let mut one = AttachmentEncryptor::with_nonce(&key(), &nonce).unwrap();
        let mut whole = one.update(&pt).unwrap();
        whole.extend(one.finish().unwrap().0);
        for piece in [1usize, 13, 4096, C, C + 1] {
            let mut e = AttachmentEncryptor::with_nonce(&key(), &nonce).unwrap();
            let mut ct = Vec::new();
            for p in pt.chunks(piece.max(1000)) {
                ct.extend(e.update(p).unwrap());
            }
            ct.extend(e.finish().unwrap().0);
            assert_eq!(ct, whole);
            let mut d = AttachmentDecryptor::new(&key());
            let mut back = Vec::new();
            for p in ct.chunks(piece) {
                let out = d.update(p).unwrap();
                assert!(
                    out.len().is_multiple_of(C),
                    "only whole verified chunks come out early"
                );
                back.extend(out);
            }
            back.extend(d.finish().unwrap().0);
            assert_eq!(back, pt);
        }
    }

    #[test]
    fn a_file_key_is_never_used_directly_and_nonces_differ() {
        let a = enc(10);
        let b = enc(10);
        assert_ne!(
            a, b,
            "a fresh nonce per file, so a reused file key gives another payload key"
        );
    }

    /// 100 MiB through an encryptor and a decryptor piece by piece: nothing is ever held whole,
    /// and the decryptor's buffer stays within one chunk and one piece.
    #[test]
    fn a_100_mib_file_streams_through_without_being_held() {
        let piece: Vec<u8> = pattern(1 << 20);
        let mut enc = AttachmentEncryptor::new(&key()).unwrap();
        let mut dec = AttachmentDecryptor::new(&key());
        let (mut plain_hash, mut back_hash) = (
            digest::Context::new(&digest::SHA256),
            digest::Context::new(&digest::SHA256),
        );
        let mut back = 0u64;
        for _ in 0..100 {
            plain_hash.update(&piece);
            let ct = enc.update(&piece).unwrap();
            for p in ct.chunks(16 * 1024) {
                let out = dec.update(p).unwrap();
                back_hash.update(&out);
                back += out.len() as u64;
                assert!(dec.buf.capacity() <= 4 * CT, "the decryptor holds about one chunk");
            }
        }
        let (tail, sent) = enc.finish().unwrap();
        let before_last = dec.update(&tail).unwrap();
        let (out, got) = dec.finish().unwrap();
        for part in [before_last, out] {
            back_hash.update(&part);
            back += part.len() as u64;
        }
        assert_eq!(back, 100 << 20);
        assert_eq!(sent, got);
        assert_eq!(sent.ciphertext_size, ciphertext_size(100 << 20).unwrap());
        assert_eq!(
            finish_hash(plain_hash),
            finish_hash(back_hash),
            "the plaintext came back"
        );
    }

    fn refused(ct: &[u8]) -> AttachmentError {
        decrypt(&key(), ct).expect_err("must be refused")
    }

    #[test]
    fn tampering_is_refused() {
        let ct = enc(3 * C + 10);
        let chunk = |i: usize| H + i * CT..(H + (i + 1) * CT).min(ct.len());

        let mut flipped = ct.clone();
        flipped[H + CT + 5] ^= 1;
        assert_eq!(refused(&flipped), AttachmentError::ChunkFailed { index: 1 });

        let mut swapped = ct[..H].to_vec();
        swapped.extend(&ct[chunk(1)]);
        swapped.extend(&ct[chunk(0)]);
        swapped.extend(&ct[chunk(2).start..]);
        assert_eq!(refused(&swapped), AttachmentError::ChunkFailed { index: 0 });

        let dropped_last = &ct[..chunk(3).start];
        assert_eq!(
            refused(dropped_last),
            AttachmentError::ChunkFailed { index: 2 }
        );

        let mid = &ct[..chunk(2).start + 100];
        assert!(matches!(
            refused(mid),
            AttachmentError::ChunkFailed { index: 2 }
        ));
        assert_eq!(
            refused(&ct[..H + 10]),
            AttachmentError::Truncated,
            "shorter than a tag"
        );
        assert_eq!(
            refused(&ct[..H + 20]),
            AttachmentError::ChunkFailed { index: 0 }
        );
        assert_eq!(refused(&ct[..H + 3]), AttachmentError::Truncated);
        assert_eq!(refused(&ct[..H]), AttachmentError::Truncated);
        assert_eq!(refused(&ct[..20]), AttachmentError::Truncated);

        let mut appended = ct.clone();
        appended.extend(&ct[chunk(3)]);
        assert_eq!(
            refused(&appended),
            AttachmentError::ChunkFailed { index: 3 }
        );
        let mut trailing = ct.clone();
        trailing.push(0);
        assert!(decrypt(&key(), &trailing).is_err());

        let mut header = ct.clone();
        header[10] ^= 1;
        assert_eq!(refused(&header), AttachmentError::ChunkFailed { index: 0 });
        for at in [0, 4, 5] {
            let mut bad = ct.clone();
            bad[at] ^= 1;
            assert_eq!(refused(&bad), AttachmentError::BadHeader);
        }
        assert!(
            decrypt(&FileKey::from_bytes([8; 32]), &ct).is_err(),
            "wrong key"
        );
    }

    #[test]
    fn a_final_flag_on_a_non_final_chunk_or_an_empty_tail_is_refused() {
        let nonce = [3u8; 32];
        let hdr = header(&nonce);
        let k = gcm(&payload_key(&key(), &hdr)).unwrap();
        let seal = |i: u64, last: bool, pt: &[u8]| {
            let mut c = pt.to_vec();
            k.seal_in_place_append_tag(
                Nonce::assume_unique_for_key(chunk_iv(i, last)),
                Aad::empty(),
                &mut c,
            )
            .unwrap();
            c
        };
        let pt = pattern(2 * C);
        let honest = [
            hdr.to_vec(),
            seal(0, false, &pt[..C]),
            seal(1, true, &pt[C..]),
        ]
        .concat();
        assert_eq!(decrypt(&key(), &honest).unwrap().0, pt);

        let early_final = [
            hdr.to_vec(),
            seal(0, true, &pt[..C]),
            seal(1, true, &pt[C..]),
        ]
        .concat();
        assert_eq!(
            decrypt(&key(), &early_final).unwrap_err(),
            AttachmentError::ChunkFailed { index: 0 }
        );

        let short_nonfinal = [
            hdr.to_vec(),
            seal(0, false, &pt[..100]),
            seal(1, true, &pt[100..200]),
        ]
        .concat();
        assert!(
            decrypt(&key(), &short_nonfinal).is_err(),
            "a short chunk is the last one"
        );

        let empty_tail = [hdr.to_vec(), seal(0, false, &pt[..C]), seal(1, true, &[])].concat();
        assert_eq!(
            decrypt(&key(), &empty_tail).unwrap_err(),
            AttachmentError::EmptyFinalChunk
        );

        let no_final = [hdr.to_vec(), seal(0, false, &pt[..C])].concat();
        assert_eq!(
            decrypt(&key(), &no_final).unwrap_err(),
            AttachmentError::ChunkFailed { index: 0 }
        );
    }

    #[test]
    fn a_decryptor_is_poisoned_after_an_error() {
        let mut ct = enc(2 * C + 1);
        ct[H + 1] ^= 1;
        let mut d = AttachmentDecryptor::new(&key());
        assert!(d.update(&ct[..H + CT + 1]).is_err());
        assert_eq!(d.update(&ct[H + CT + 1..]), Err(AttachmentError::Poisoned));
        assert_eq!(d.finish().unwrap_err(), AttachmentError::Poisoned);
    }

    fn descriptor(summary: &AttachmentSummary) -> AttachmentDescriptor {
        AttachmentDescriptor {
            attachment_id: Uuid::from_u128(0x1234),
            key: key(),
            sha256: summary.sha256,
            name: "photo.jpg".into(),
            media_type: "image/jpeg".into(),
            size: summary.size,
            ciphertext_size: summary.ciphertext_size,
            dimensions: Some(Dimensions {
                width: 640,
                height: 480,
            }),
            thumbnail: Some(Thumbnail {
                media_type: "image/jpeg".into(),
                bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2],
            }),
        }
    }

    #[test]
    fn a_descriptor_decryptor_checks_hash_and_sizes() {
        let (ct, summary) = encrypt(&key(), &pattern(C + 5)).unwrap();
        let d = descriptor(&summary);
        let mut dec = AttachmentDecryptor::for_descriptor(&d);
        let mut out = dec.update(&ct).unwrap();
        out.extend(dec.finish().unwrap().0);
        assert_eq!(out, pattern(C + 5));

        let mut wrong = d.clone();
        wrong.sha256[0] ^= 1;
        let mut dec = AttachmentDecryptor::for_descriptor(&wrong);
        dec.update(&ct).unwrap();
        assert_eq!(dec.finish().unwrap_err(), AttachmentError::HashMismatch);

        let mut longer = ct.clone();
        longer.push(1);
        let mut dec = AttachmentDecryptor::for_descriptor(&d);
        assert_eq!(dec.update(&longer), Err(AttachmentError::TrailingData));
    }

    #[test]
    fn the_message_content_round_trips_canonically() {
        let (_, summary) = encrypt(&key(), b"hi").unwrap();
        let msg = AttachmentMessage {
            text: Some("look \u{1f600}\n".into()),
            attachments: vec![descriptor(&summary)],
        };
        let plain = msg.to_plaintext().unwrap();
        let text = std::str::from_utf8(&plain).unwrap();
        assert!(text.starts_with("{\"attachments\":[{\"attachment_id\":\"00000000-0000-0000-0000-000000001234\",\"ciphertext_size\":"));
        assert!(text.ends_with("\"text\":\"look \u{1f600}\\n\"}"));
        assert_eq!(AttachmentMessage::parse(&plain).unwrap(), msg);
        let spaced = text.replacen(':', ": ", 1);
        assert!(AttachmentMessage::parse(spaced.as_bytes()).is_err());
    }

    #[test]
    fn names_and_media_types_follow_the_rules() {
        for good in ["a", "photo.jpg", "ünïcødé 📷.png", &"x".repeat(255), "..."] {
            assert!(is_valid_attachment_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a\nb",
            "a\u{7f}",
            "a\u{85}",
            "evil\u{202e}gpj.exe",
            &"x".repeat(256),
        ] {
            assert!(!is_valid_attachment_name(bad), "{bad:?}");
        }
        assert!(is_valid_media_type("image/svg+xml"));
        assert!(!is_valid_media_type("Image/PNG"));
        assert!(!is_valid_media_type("text/plain; charset=utf-8"));
        assert!(!is_valid_media_type(""));
    }

    #[test]
    fn hostile_descriptors_are_refused() {
        let (_, summary) = encrypt(&key(), b"hi").unwrap();
        let good = AttachmentMessage {
            text: None,
            attachments: vec![descriptor(&summary)],
        };
        let plain = String::from_utf8(good.to_plaintext().unwrap()).unwrap();
        let edits: Vec<(&str, String)> = vec![
            (
                "uppercase id",
                plain.replace(
                    "00000000-0000-0000-0000-000000001234",
                    "00000000-0000-0000-0000-00000000ABCD",
                ),
            ),
            (
                "name with slash",
                plain.replace("photo.jpg", "../photo.jpg"),
            ),
            (
                "wrong ciphertext size",
                plain.replace(
                    &format!("\"ciphertext_size\":{}", summary.ciphertext_size),
                    "\"ciphertext_size\":1",
                ),
            ),
            (
                "unknown field",
                plain.replace("{\"attachment_id\"", "{\"a\":1,\"attachment_id\""),
            ),
            (
                "duplicate key",
                plain.replace(
                    "\"name\":\"photo.jpg\"",
                    "\"name\":\"photo.jpg\",\"name\":\"x.exe\"",
                ),
            ),
            ("float", plain.replace("\"width\":640", "\"width\":640.0")),
            ("zero width", plain.replace("\"width\":640", "\"width\":0")),
            (
                "png bytes said jpeg",
                plain.replace(
                    "\"thumbnail_media_type\":\"image/jpeg\"",
                    "\"thumbnail_media_type\":\"image/png\"",
                ),
            ),
            ("no attachments", "{\"attachments\":[]}".into()),
            (
                "blank caption",
                format!("{},\"text\":\" \"}}", &plain[..plain.len() - 1]),
            ),
        ];
        for (what, text) in edits {
            assert_ne!(text, plain, "{what}: the edit applied");
            assert!(AttachmentMessage::parse(text.as_bytes()).is_err(), "{what}");
        }
        let two = AttachmentMessage {
            text: None,
            attachments: vec![descriptor(&summary); 2],
        };
        assert!(two.to_plaintext().is_err(), "duplicate ids");
    }
}
