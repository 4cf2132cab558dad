//! The attachment descriptor and the content of a message that carries attachments
//! (docs/protocol.md §11.4), as `crates/courier-protocol/src/crypto/attachment/descriptor.rs`
//! reads and writes them. The chunked encryption is in `./attachment`.
import {
  KEY_LEN, MAX_ATTACHMENTS_PER_MESSAGE, MAX_ATTACHMENT_NAME_LEN, MAX_IMAGE_DIMENSION, MAX_PLAINTEXT_LEN,
  MAX_THUMBNAIL_LEN,
} from '@/lib/protocol/constants';
import { AttachmentError, attachmentCiphertextSize } from './attachment';
import { canonicalJson, parseCanonicalContent, type CanonicalValue } from './canonical';
import { type Bytes, fromBase64, toBase64, utf8 } from './encoding';
import { writableContentType } from './envelope';

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
  return writableContentType(mediaType);
}

/** 1–255 Unicode scalar values, not `.`/`..`, no `/`, `\`, controls or bidi controls. */
export function isValidAttachmentName(name: string): boolean {
  if (typeof name !== 'string' || LONE_SURROGATE_RE.test(name)) return false;
  const points = [...name].map((ch) => ch.codePointAt(0) as number);
  return points.length >= 1 && points.length <= MAX_ATTACHMENT_NAME_LEN && name !== '.' && name !== '..'
    && !points.some(forbiddenInName);
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
  const parsed = parseCanonicalContent(plaintext);
  if (!parsed.ok) invalid(parsed.reason);
  const value = parsed.value;
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
