//! Encrypted attachments (docs/protocol.md §11), byte-identical to the Rust protocol crate
//! (`crates/courier-protocol/src/crypto/attachment/`; both check
//! `tests/vectors/courier-attachments.json`). The descriptor is in `./attachment-descriptor`.
//!
//! Ciphertext = header `"CATT" ‖ 0x01 ‖ 0x10 ‖ nonce(32)` ‖ chunks. Payload key =
//! HKDF-SHA256(ikm = file key, salt = header, info = "courier/v1/attachment"). Chunk i =
//! AES-256-GCM(payload key, iv = BE88(i) ‖ last, aad = empty, ≤ 64 KiB of plaintext); every chunk
//! but the final one is full, the final one is non-empty unless the file is. The SHA-256 of the
//! whole ciphertext goes into the descriptor, which travels inside the signed, encrypted
//! message content.
//!
//! Streaming: `AttachmentEncryptor` / `AttachmentDecryptor` take pieces of any size and hold at
//! most one chunk, so they run in a Worker over a 100 MiB `File` slice by slice. Await each call
//! before the next. The decryptor only returns plaintext of chunks that authenticated at their
//! position; the file is complete and authentic only when `finish()` resolves, so keep
//! everything it returned in a temporary place until then and discard it on any error.

import {
  ATTACHMENT_CHUNK_SIZE, ATTACHMENT_CHUNK_SIZE_LOG2, ATTACHMENT_CONTENT_TYPE, ATTACHMENT_HEADER_LEN, ATTACHMENT_MAGIC,
  ATTACHMENT_NONCE_LEN, ATTACHMENT_VERSION, INFO_ATTACHMENT, IV_LEN, KEY_LEN, MAX_SAFE_INTEGER, TAG_LEN,
} from '@/lib/protocol/constants';
import type { AttachmentDescriptor } from './attachment-descriptor';
import { type Bytes, bytesEqual, concat, copyBytes, randomBytes, utf8 } from './encoding';
import { Sha256 } from './sha256';

/** One full ciphertext chunk: 64 KiB of plaintext and the 16-byte tag. */
export const CIPHERTEXT_CHUNK_LEN = ATTACHMENT_CHUNK_SIZE + TAG_LEN;

/** The message content type of a message carrying attachments. */
export { ATTACHMENT_CONTENT_TYPE };

/** Why an attachment or its descriptor was refused; `code` matches the vector file's classes. */
export type AttachmentErrorCode =
  | 'bad_header' | 'truncated' | 'chunk_failed' | 'empty_final_chunk' | 'trailing_data' | 'hash_mismatch'
  | 'size_mismatch' | 'too_large' | 'poisoned' | 'busy' | 'invalid_content';

export class AttachmentError extends Error {
  readonly code: AttachmentErrorCode;
  constructor(code: AttachmentErrorCode, detail?: string) {
    super(detail ? `attachment ${code}: ${detail}` : `attachment ${code}`);
    this.name = 'AttachmentError';
    this.code = code;
  }
}

/** What an encryptor or decryptor saw: the descriptor's `sha256`, `size`, `ciphertext_size`. */
export interface AttachmentSummary {
  sha256: Bytes;
  size: number;
  ciphertextSize: number;
}

/** The 38-byte attachment header for `nonce`. */
export function attachmentHeader(nonce: Uint8Array): Bytes {
  if (nonce.length !== ATTACHMENT_NONCE_LEN) throw new AttachmentError('invalid_content', 'nonce must be 32 bytes');
  const out = new Uint8Array(ATTACHMENT_HEADER_LEN);
  out.set(utf8(ATTACHMENT_MAGIC), 0);
  out[4] = ATTACHMENT_VERSION;
  out[5] = ATTACHMENT_CHUNK_SIZE_LOG2;
  out.set(nonce, 6);
  return out;
}

/** The payload key's raw bytes (for the known-answer vectors; the streams derive a non-extractable key). */
export async function attachmentPayloadKeyBytes(fileKey: Uint8Array, header: Uint8Array): Promise<Bytes> {
  const base = await crypto.subtle.importKey('raw', copyBytes(fileKey), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: copyBytes(header), info: utf8(INFO_ATTACHMENT) }, base, KEY_LEN * 8,
  );
  return new Uint8Array(bits);
}

async function payloadKey(fileKey: Uint8Array, header: Uint8Array): Promise<CryptoKey> {
  if (fileKey.length !== KEY_LEN) throw new AttachmentError('invalid_content', 'file key must be 32 bytes');
  const base = await crypto.subtle.importKey('raw', copyBytes(fileKey), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: copyBytes(header), info: utf8(INFO_ATTACHMENT) },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

/** The IV of chunk `index`: the index as 11 big-endian bytes, then 0x01 if final else 0x00. */
export function chunkIv(index: number, last: boolean): Bytes {
  if (!Number.isSafeInteger(index) || index < 0) throw new AttachmentError('too_large');
  const iv = new Uint8Array(IV_LEN);
  const view = new DataView(iv.buffer);
  view.setUint32(3, Math.floor(index / 0x100000000));
  view.setUint32(7, index >>> 0);
  iv[11] = last ? 1 : 0;
  return iv;
}

/** `38 + size + 16 × max(1, ⌈size / 65536⌉)`, or `null` if not a size or above 2^53 − 1. */
export function attachmentCiphertextSize(size: number): number | null {
  if (!Number.isSafeInteger(size) || size < 0) return null;
  const chunks = Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_SIZE));
  const total = ATTACHMENT_HEADER_LEN + size + TAG_LEN * chunks;
  return total <= MAX_SAFE_INTEGER ? total : null;
}

/** Encrypts a file as it streams; the first output starts with the header. */
export class AttachmentEncryptor {
  private headerPending: Bytes | null;
  private pending = new Uint8Array(ATTACHMENT_CHUNK_SIZE);
  private pendingLen = 0;
  private index = 0;
  private size = 0;
  private ciphertextSize = 0;
  private readonly hash = new Sha256();
  private busy = false;
  private finished = false;

  private constructor(private readonly key: CryptoKey, header: Bytes) {
    this.headerPending = header;
  }

  /** An encryptor under `fileKey` (32 bytes) with a fresh random nonce, or a fixed one for vectors only. */
  static async create(fileKey: Uint8Array, nonce: Uint8Array = randomBytes(ATTACHMENT_NONCE_LEN)): Promise<AttachmentEncryptor> {
    const header = attachmentHeader(nonce);
    return new AttachmentEncryptor(await payloadKey(fileKey, header), header);
  }

  /** Takes the next plaintext piece; resolves to the ciphertext bytes now ready (maybe none). */
  async update(plaintext: Uint8Array): Promise<Bytes> {
    return this.guard(async () => {
      const out: Uint8Array[] = [];
      this.takeHeader(out);
      let off = 0;
      while (off < plaintext.length) {
        if (this.pendingLen === ATTACHMENT_CHUNK_SIZE) out.push(await this.seal(false));
        const take = Math.min(ATTACHMENT_CHUNK_SIZE - this.pendingLen, plaintext.length - off);
        this.pending.set(plaintext.subarray(off, off + take), this.pendingLen);
        this.pendingLen += take;
        off += take;
        this.size += take;
      }
      return concat(...out);
    });
  }

  /** Seals the final chunk; resolves to the last bytes and the summary for the descriptor. */
  async finish(): Promise<{ bytes: Bytes; summary: AttachmentSummary }> {
    return this.guard(async () => {
      const out: Uint8Array[] = [];
      this.takeHeader(out);
      out.push(await this.seal(true));
      this.finished = true;
      this.pending.fill(0);
      if (attachmentCiphertextSize(this.size) !== this.ciphertextSize) throw new AttachmentError('too_large');
      return { bytes: concat(...out), summary: { sha256: this.hash.digest(), size: this.size, ciphertextSize: this.ciphertextSize } };
    });
  }

  private takeHeader(out: Uint8Array[]): void {
    if (this.headerPending) {
      out.push(this.account(this.headerPending));
      this.headerPending = null;
    }
  }

  private async seal(last: boolean): Promise<Uint8Array> {
    const iv = chunkIv(this.index, last);
    const chunk = this.pending.slice(0, this.pendingLen);
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.key, chunk));
    chunk.fill(0);
    this.index += 1;
    this.pendingLen = 0;
    return this.account(sealed);
  }

  private account(bytes: Uint8Array): Uint8Array {
    this.hash.update(bytes);
    this.ciphertextSize += bytes.length;
    return bytes;
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.finished) throw new AttachmentError('poisoned', 'encryptor already finished');
    if (this.busy) throw new AttachmentError('busy', 'await each call before the next');
    this.busy = true;
    try {
      return await run();
    } catch (e) {
      this.finished = true;
      throw e;
    } finally {
      this.busy = false;
    }
  }
}

/** Encrypts a whole in-memory file (small files and tests). */
export async function encryptAttachment(fileKey: Uint8Array, plaintext: Uint8Array, nonce?: Uint8Array): Promise<{ ciphertext: Bytes; summary: AttachmentSummary }> {
  const enc = await AttachmentEncryptor.create(fileKey, nonce);
  const head = await enc.update(plaintext);
  const { bytes, summary } = await enc.finish();
  return { ciphertext: concat(head, bytes), summary };
}

/** Decrypts a ciphertext as it streams; optional expectations come from a descriptor. */
export class AttachmentDecryptor {
  private key: CryptoKey | null = null;
  private readonly header = new Uint8Array(ATTACHMENT_HEADER_LEN);
  private headerLen = 0;
  // One full chunk plus one byte: only the byte after a full chunk shows it is not the last.
  private readonly chunk = new Uint8Array(CIPHERTEXT_CHUNK_LEN + 1);
  private chunkLen = 0;
  private index = 0;
  private size = 0;
  private ciphertextSize = 0;
  private readonly hash = new Sha256();
  private busy = false;
  private dead = false;

  private constructor(private readonly fileKey: Bytes, private readonly expected: AttachmentSummary | null) {}

  /** A decryptor under `fileKey`, checking the stream only. */
  static create(fileKey: Uint8Array): AttachmentDecryptor {
    if (fileKey.length !== KEY_LEN) throw new AttachmentError('invalid_content', 'file key must be 32 bytes');
    return new AttachmentDecryptor(copyBytes(fileKey), null);
  }

  /** A decryptor for a validated descriptor: its key, then its sha256 and sizes at `finish`. */
  static forDescriptor(d: AttachmentDescriptor): AttachmentDecryptor {
    return new AttachmentDecryptor(copyBytes(d.key), { sha256: d.sha256, size: d.size, ciphertextSize: d.ciphertextSize });
  }

  /** Takes the next ciphertext piece; resolves to the plaintext of the chunks that authenticated. */
  async update(ciphertext: Uint8Array): Promise<Bytes> {
    return this.guard(async () => {
      this.ciphertextSize += ciphertext.length;
      if (this.expected && this.ciphertextSize > this.expected.ciphertextSize) throw new AttachmentError('trailing_data');
      if (this.ciphertextSize > MAX_SAFE_INTEGER) throw new AttachmentError('too_large');
      this.hash.update(ciphertext);
      let off = 0;
      if (!this.key) {
        const take = Math.min(ATTACHMENT_HEADER_LEN - this.headerLen, ciphertext.length);
        this.header.set(ciphertext.subarray(0, take), this.headerLen);
        this.headerLen += take;
        off = take;
        if (this.headerLen < ATTACHMENT_HEADER_LEN) return new Uint8Array(0);
        this.key = await this.readHeader();
      }
      const out: Uint8Array[] = [];
      while (off < ciphertext.length) {
        const take = Math.min(this.chunk.length - this.chunkLen, ciphertext.length - off);
        this.chunk.set(ciphertext.subarray(off, off + take), this.chunkLen);
        this.chunkLen += take;
        off += take;
        if (this.chunkLen === this.chunk.length) {
          // More than one full chunk buffered: the first one cannot be the last.
          out.push(await this.open(this.chunk.subarray(0, CIPHERTEXT_CHUNK_LEN), false));
          this.chunk[0] = this.chunk[CIPHERTEXT_CHUNK_LEN];
          this.chunkLen = 1;
        }
      }
      return concat(...out);
    });
  }

  /** Opens the final chunk and checks the end; on any error discard everything returned so far. */
  async finish(): Promise<{ bytes: Bytes; summary: AttachmentSummary }> {
    return this.guard(async () => {
      if (!this.key || this.chunkLen < TAG_LEN) throw new AttachmentError('truncated');
      const bytes = await this.open(this.chunk.subarray(0, this.chunkLen), true);
      if (bytes.length === 0 && this.index > 1) throw new AttachmentError('empty_final_chunk');
      this.dead = true;
      this.chunk.fill(0);
      const summary = { sha256: this.hash.digest(), size: this.size, ciphertextSize: this.ciphertextSize };
      if (this.expected) {
        if (!bytesEqual(summary.sha256, this.expected.sha256)) throw new AttachmentError('hash_mismatch');
        if (summary.size !== this.expected.size || summary.ciphertextSize !== this.expected.ciphertextSize) {
          throw new AttachmentError('size_mismatch');
        }
      }
      return { bytes, summary };
    });
  }

  private async readHeader(): Promise<CryptoKey> {
    const header = this.header;
    const magic = utf8(ATTACHMENT_MAGIC);
    if (!bytesEqual(header.subarray(0, 4), magic) || header[4] !== ATTACHMENT_VERSION || header[5] !== ATTACHMENT_CHUNK_SIZE_LOG2) {
      throw new AttachmentError('bad_header');
    }
    return payloadKey(this.fileKey, header);
  }

  private async open(chunk: Uint8Array, last: boolean): Promise<Bytes> {
    const index = this.index;
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: chunkIv(index, last), tagLength: 128 }, this.key as CryptoKey, copyBytes(chunk));
    } catch {
      throw new AttachmentError('chunk_failed', `chunk ${index}`);
    }
    this.index += 1;
    this.size += plain.byteLength;
    return new Uint8Array(plain);
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.dead) throw new AttachmentError('poisoned');
    if (this.busy) throw new AttachmentError('busy', 'await each call before the next');
    this.busy = true;
    try {
      return await run();
    } catch (e) {
      this.dead = true;
      this.chunk.fill(0);
      this.fileKey.fill(0);
      throw e;
    } finally {
      this.busy = false;
    }
  }
}

/** Decrypts a whole in-memory ciphertext (small files and tests): all or nothing. */
export async function decryptAttachment(fileKey: Uint8Array, ciphertext: Uint8Array): Promise<{ plaintext: Bytes; summary: AttachmentSummary }> {
  const dec = AttachmentDecryptor.create(fileKey);
  const head = await dec.update(ciphertext);
  const { bytes, summary } = await dec.finish();
  return { plaintext: concat(head, bytes), summary };
}
