//! The streaming encryptor and decryptor of attachment ciphertexts (docs/protocol.md §11).

use super::*;

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

pub(super) fn finish_hash(ctx: digest::Context) -> [u8; 32] {
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
    pub(super) buf: Vec<u8>,
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
