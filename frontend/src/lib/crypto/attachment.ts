//! Encrypted attachments (docs/protocol.md §11), byte-identical to the Rust protocol crate
//! (`crates/courier-protocol/src/crypto/attachment.rs`; both check
//! `tests/vectors/courier-attachments.json`).
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
  ATTACHMENT_NONCE_LEN, ATTACHMENT_VERSION, INFO_ATTACHMENT, IV_LEN, KEY_LEN, MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_ATTACHMENT_NAME_LEN, MAX_IMAGE_DIMENSION, MAX_PLAINTEXT_LEN, MAX_SAFE_INTEGER, MAX_THUMBNAIL_LEN,
  MAX_WRITER_CONTENT_TYPE_LEN, TAG_LEN,
} from '@/lib/protocol/constants';
import { canonicalJson, type CanonicalValue } from './canonical';
import { type Bytes, bytesEqual, concat, copyBytes, fromBase64, randomBytes, toBase64, utf8 } from './encoding';
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

// ----- The descriptor and the message content (§11.4) -------------------------------------------

export interface AttachmentThumbnail {
  /** `image/jpeg`, `image/png` or `image/webp`; the bytes carry that format's signature. */
  mediaType: string;
  bytes: Bytes;
}

/** One validated attachment descriptor. `name` and `mediaType` are the sender's claims. */
export interface AttachmentDescriptor {
  attachmentId: string;
  key: Bytes;
  sha256: Bytes;
  name: string;
  mediaType: string;
  size: number;
  ciphertextSize: number;
  width?: number;
  height?: number;
  thumbnail?: AttachmentThumbnail;
}

/** The plaintext of an `application/vnd.courier.attachment+json` message. */
export interface AttachmentMessage {
  text?: string;
  attachments: AttachmentDescriptor[];
}

const THUMBNAIL_SIGNATURES: Record<string, number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/webp': [0x52, 0x49, 0x46, 0x46],
};
const WEBP = [0x57, 0x45, 0x42, 0x50];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEDIA_TYPE_RE = /^[a-z0-9.+\-_/]+$/;
/** Forbidden in names: `/`, `\`, C0 and C1 controls, DEL, bidi controls (spoofing "gpj.exe" as "exe.jpg"). */
function forbiddenInName(cp: number): boolean {
  return cp === 0x2f || cp === 0x5c || cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x200e || cp === 0x200f
    || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}
// Unicode White_Space, listed explicitly so every implementation agrees (JS trim() differs).
const BLANK_RE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;
const LONE_SURROGATE_RE = /\p{Surrogate}/u;
const DESCRIPTOR_FIELDS = new Set([
  'attachment_id', 'ciphertext_size', 'height', 'key', 'media_type', 'name', 'sha256', 'size', 'thumbnail',
  'thumbnail_media_type', 'width',
]);

function invalid(why: string): never {
  throw new AttachmentError('invalid_content', why);
}

/** The writer content_type rule: 1–100 of `a-z 0-9 . / + - _`. */
export function isValidMediaType(mediaType: string): boolean {
  return mediaType.length >= 1 && mediaType.length <= MAX_WRITER_CONTENT_TYPE_LEN && MEDIA_TYPE_RE.test(mediaType);
}

/** 1–255 Unicode scalar values, not `.`/`..`, no `/`, `\`, controls or bidi controls. */
export function isValidAttachmentName(name: string): boolean {
  if (typeof name !== 'string' || LONE_SURROGATE_RE.test(name)) return false;
  const points = [...name].map((ch) => ch.codePointAt(0) as number);
  return points.length >= 1 && points.length <= MAX_ATTACHMENT_NAME_LEN && name !== '.' && name !== '..'
    && !points.some(forbiddenInName);
}

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE_RE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE_RE.test(k) || hasLoneSurrogate(v));
  }
  return false;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') invalid(`${key} missing or not a string`);
  return v;
}

function int(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) invalid(`${key} is not an integer 0..2^53-1`);
  return v;
}

function b64Field(o: Record<string, unknown>, key: string, len?: number): Bytes {
  let bytes: Bytes;
  try {
    bytes = fromBase64(str(o, key));
  } catch (e) {
    if (e instanceof AttachmentError) throw e;
    invalid(`${key} is not base64`);
  }
  if (len !== undefined && bytes.length !== len) invalid(`${key} must be ${len} bytes`);
  return bytes;
}

/** Validates one descriptor object (§11.4). */
export function parseAttachmentDescriptor(value: unknown): AttachmentDescriptor {
  if (!isRecord(value)) invalid('descriptor is not an object');
  if (Object.keys(value).some((k) => !DESCRIPTOR_FIELDS.has(k))) invalid('unknown descriptor field');
  const attachmentId = str(value, 'attachment_id');
  if (!UUID_RE.test(attachmentId)) invalid('attachment_id is not a lowercase UUID');
  const key = b64Field(value, 'key', KEY_LEN);
  const sha256 = b64Field(value, 'sha256', 32);
  const name = str(value, 'name');
  if (!isValidAttachmentName(name)) invalid('invalid name');
  const mediaType = str(value, 'media_type');
  if (!isValidMediaType(mediaType)) invalid('invalid media_type');
  const size = int(value, 'size');
  if (size === undefined) invalid('size missing');
  const ciphertextSize = int(value, 'ciphertext_size');
  if (ciphertextSize === undefined) invalid('ciphertext_size missing');
  if (attachmentCiphertextSize(size) !== ciphertextSize) invalid('ciphertext_size does not match size');
  const d: AttachmentDescriptor = { attachmentId, key, sha256, name, mediaType, size, ciphertextSize };
  const width = int(value, 'width');
  const height = int(value, 'height');
  if (width !== undefined || height !== undefined) {
    const ok = (n: number | undefined) => n !== undefined && n >= 1 && n <= MAX_IMAGE_DIMENSION;
    if (!ok(width) || !ok(height)) invalid('width and height must both be present, 1..65535');
    d.width = width;
    d.height = height;
  }
  if (value.thumbnail !== undefined || value.thumbnail_media_type !== undefined) {
    if (typeof value.thumbnail !== 'string' || typeof value.thumbnail_media_type !== 'string') {
      invalid('thumbnail and thumbnail_media_type go together, as strings');
    }
    const bytes = b64Field(value, 'thumbnail');
    if (bytes.length < 1 || bytes.length > MAX_THUMBNAIL_LEN) invalid('thumbnail must be 1..16384 bytes');
    const type = value.thumbnail_media_type;
    const signature = Object.hasOwn(THUMBNAIL_SIGNATURES, type) ? THUMBNAIL_SIGNATURES[type] : undefined;
    if (!signature) invalid('thumbnail_media_type must be image/jpeg, image/png or image/webp');
    const starts = signature.every((b, i) => bytes[i] === b);
    const webp = type !== 'image/webp' || WEBP.every((b, i) => bytes[8 + i] === b);
    if (!starts || !webp) invalid('thumbnail bytes are not of thumbnail_media_type');
    d.thumbnail = { mediaType: type, bytes };
  }
  return d;
}

/**
 * Parses and validates a decrypted message plaintext (§11.4): UTF-8, canonical JSON, exactly
 * the known fields, every descriptor rule. Throws `AttachmentError('invalid_content')` otherwise;
 * the message is then shown flagged, never partly.
 */
export function parseAttachmentMessage(plaintext: Uint8Array): AttachmentMessage {
  if (plaintext.length > MAX_PLAINTEXT_LEN) invalid('content longer than a message plaintext');
  let text: string;
  let value: unknown;
  try {
    // ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse refuses it as Rust does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plaintext);
    value = JSON.parse(text);
  } catch {
    invalid('content is not UTF-8 JSON');
  }
  let canonical: string | null;
  try {
    if (hasLoneSurrogate(value)) invalid('content is not JSON (lone surrogate)');
    canonical = canonicalJson(value as CanonicalValue);
  } catch (e) {
    if (e instanceof AttachmentError) throw e;
    canonical = null; // not serialisable (a float, a huge integer) or nested too deep to walk
  }
  if (canonical !== text) invalid('content is not canonical JSON');
  if (!isRecord(value)) invalid('content is not an object');
  if (Object.keys(value).some((k) => k !== 'text' && k !== 'attachments')) invalid('unknown content field');
  const message: AttachmentMessage = { attachments: [] };
  if (value.text !== undefined) {
    if (typeof value.text !== 'string' || BLANK_RE.test(value.text)) invalid('text must be a non-blank string');
    message.text = value.text;
  }
  const items = value.attachments;
  if (!Array.isArray(items)) invalid('attachments missing');
  if (items.length < 1 || items.length > MAX_ATTACHMENTS_PER_MESSAGE) invalid('attachments must hold 1..10 descriptors');
  message.attachments = items.map(parseAttachmentDescriptor);
  const ids = new Set(message.attachments.map((a) => a.attachmentId));
  if (ids.size !== message.attachments.length) invalid('duplicate attachment_id');
  return message;
}

/** The canonical plaintext to seal with content type `application/vnd.courier.attachment+json`. */
export function serializeAttachmentMessage(message: AttachmentMessage): Bytes {
  const items = message.attachments.map((d) => {
    const o: Record<string, CanonicalValue> = {
      attachment_id: d.attachmentId, key: toBase64(d.key), sha256: toBase64(d.sha256), name: d.name,
      media_type: d.mediaType, size: d.size, ciphertext_size: d.ciphertextSize,
    };
    if (d.width !== undefined) o.width = d.width;
    if (d.height !== undefined) o.height = d.height;
    if (d.thumbnail) {
      o.thumbnail = toBase64(d.thumbnail.bytes);
      o.thumbnail_media_type = d.thumbnail.mediaType;
    }
    return o;
  });
  const content: Record<string, CanonicalValue> = { attachments: items };
  if (message.text !== undefined) content.text = message.text;
  const bytes = utf8(canonicalJson(content));
  parseAttachmentMessage(bytes); // refuse to write what a reader would refuse
  return bytes;
}
