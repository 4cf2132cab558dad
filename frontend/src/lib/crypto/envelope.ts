//! Message envelope v2, key-committing (docs/protocol.md §5; legacy v1 in §5.6). Sealing:
//! canonical header (v = 2) → h = SHA-256(header); a fresh AES-256-GCM content key K encrypts the
//! text with AAD h; K is RSA-OAEP-wrapped for every recipient with label h; the commitment
//! HMAC-SHA256(K, "courier/v2/commit" ‖ h) binds the message to K; the sender signs
//! h ‖ commitment ‖ iv ‖ ciphertext. Without the commitment a sender could wrap a different K for
//! one recipient, and one signed message would read differently for each. Opening checks all of
//! it (the commitment after unwrapping K, in constant time, before decrypting) and returns a
//! "could not verify" result on any failure, never partial text. A legacy v1 message (no
//! commitment, signed over h ‖ iv ‖ ciphertext) still opens, marked `legacy`; nothing writes v1.

import type { EnvelopeBody } from '@/lib/api/types';
import {
  COMMIT_LABEL, COMMITMENT_LEN, ENVELOPE_VERSION, IV_LEN, KEY_LEN, LEGACY_VERSION, MAX_CONTENT_TYPE_LEN, MAX_GROUP_SIZE,
  MAX_HEADER_LEN, MAX_PLAINTEXT_LEN, MAX_SAFE_INTEGER, MAX_WRITER_CONTENT_TYPE_LEN, SIGNATURE_LEN, TAG_LEN, TEXT_PLAIN,
  WRAPPED_KEY_LEN,
} from '@/lib/protocol/constants';
import { canonicalJson, parseCanonical } from './canonical';
import { type Bytes, concat, copyBytes, fromBase64, fromUtf8, randomBytes, toBase64, utf8 } from './encoding';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What readers accept as `content_type` (§5.1): printable ASCII (0x21–0x7E, as the Rust reader
 *  has it) other than `"` and `\`, length checked apart. */
const READER_CONTENT_TYPE_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** What writers emit (§5.1): only `a-z 0-9 . / + - _`, so no escaping question ever arises. */
const WRITER_CONTENT_TYPE_RE = /^[a-z0-9./+\-_]+$/;

/** The reader rule for `content_type` (docs/protocol.md §5.1, §6). */
export function readableContentType(ct: string): boolean {
  return ct.length >= 1 && ct.length <= MAX_CONTENT_TYPE_LEN && READER_CONTENT_TYPE_RE.test(ct);
}

/** The writer rule for `content_type` (docs/protocol.md §5.1). */
export function writableContentType(ct: string): boolean {
  return ct.length >= 1 && ct.length <= MAX_WRITER_CONTENT_TYPE_LEN && WRITER_CONTENT_TYPE_RE.test(ct);
}

function validSentAt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_SAFE_INTEGER;
}

export interface HeaderFields {
  v: number;
  conversation_id: string;
  message_id: string;
  sender_id: string;
  recipients: string[];
  content_type: string;
  sent_at: number;
}

/** The envelope as posted (OpenAPI `EnvelopeBody`); sealing always sets `commitment` (v2). */
export type Envelope = EnvelopeBody & { commitment: string };

export interface Recipient {
  userId: string;
  encPublic: CryptoKey;
}

export interface SealInput {
  conversationId: string;
  messageId: string;
  senderId: string;
  recipients: Recipient[];
  plaintext: string;
  sentAt: number;
  signingKey: CryptoKey;
  contentType?: string;
}

export function canonicalHeader(fields: HeaderFields): string {
  return canonicalJson({ ...fields, recipients: [...fields.recipients] });
}

export async function sha256(data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', copyBytes(data)));
}

/** The bytes the v2 commitment is computed over: "courier/v2/commit" ‖ h. */
export function commitmentInput(h: Uint8Array): Bytes {
  return concat(utf8(COMMIT_LABEL), h);
}

/** commitment = HMAC-SHA256(key = K, "courier/v2/commit" ‖ h). */
export async function keyCommitment(rawK: Uint8Array, h: Uint8Array): Promise<Bytes> {
  const key = await crypto.subtle.importKey('raw', copyBytes(rawK), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, commitmentInput(h)));
}

/** Whether `commitment` is K's commitment for h; WebCrypto's HMAC verify compares in constant time. */
async function commitmentHolds(rawK: Uint8Array, h: Uint8Array, commitment: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', copyBytes(rawK), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, copyBytes(commitment), commitmentInput(h));
}

export function sortedIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

/** Seals a message for every recipient (the sender must be among them to read it back). */
export async function sealMessage(input: SealInput): Promise<Envelope> {
  const recipients = sortedIds(input.recipients.map((r) => r.userId));
  if (recipients.length !== input.recipients.length) throw new Error('duplicate recipient');
  if (!recipients.includes(input.senderId)) throw new Error('the sender must be a recipient');
  if (recipients.length > MAX_GROUP_SIZE) throw new Error(`at most ${MAX_GROUP_SIZE} recipients`);
  if (!recipients.every((id) => UUID_RE.test(id))) throw new Error('recipients must be lowercase UUIDs');
  const contentType = input.contentType ?? TEXT_PLAIN;
  if (!writableContentType(contentType)) throw new Error('content type breaks the writer rule');
  if (!validSentAt(input.sentAt)) throw new Error('sent_at out of range');
  if (contentType === TEXT_PLAIN && !input.plaintext.trim()) throw new Error('an empty message is not sent');
  const plaintext = utf8(input.plaintext);
  if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_LEN) throw new Error(`a message is 1 to ${MAX_PLAINTEXT_LEN} bytes`);
  const header = canonicalHeader({
    v: ENVELOPE_VERSION,
    conversation_id: input.conversationId,
    message_id: input.messageId,
    sender_id: input.senderId,
    recipients,
    content_type: contentType,
    sent_at: input.sentAt,
  });
  const h = await sha256(utf8(header));
  const rawK = randomBytes(KEY_LEN);
  const k = await crypto.subtle.importKey('raw', rawK, 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(IV_LEN);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: h }, k, plaintext),
  );
  const keys = await Promise.all(
    input.recipients.map(async (r) => ({
      user_id: r.userId,
      wrapped_key: toBase64(
        new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: h }, r.encPublic, rawK)),
      ),
    })),
  );
  const commitment = await keyCommitment(rawK, h);
  rawK.fill(0);
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, input.signingKey, concat(h, commitment, iv, ciphertext)),
  );
  keys.sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
  return {
    header,
    commitment: toBase64(commitment),
    iv: toBase64(iv),
    ciphertext: toBase64(ciphertext),
    signature: toBase64(signature),
    keys,
  };
}

/** What the reader received: the event/history item fields the opener needs. */
export interface ReceivedMessage {
  conversation_id: string;
  message_id: string;
  sender_id: string;
  header: string;
  /** v2 only. */
  commitment?: string;
  iv: string;
  ciphertext: string;
  signature: string;
  wrapped_key: string;
}

export interface OpenContext {
  ownUserId: string;
  ownEncPrivate: CryptoKey;
  /** The sender's PINNED signing key, or null when we have none we trust. */
  senderSigPublic: CryptoKey | null;
}

export type OpenResult =
  /** `legacy`: a v1 message, verified but not key-committing; show it marked as such. */
  | { ok: true; text: string; header: HeaderFields; legacy: boolean }
  | { ok: false; reason: string };

const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);

/**
 * Parses a received header by the reader rules of docs/protocol.md §5.1 and §6: canonical JSON
 * with exactly the seven fields; `v` 2 or 1; lowercase UUIDs; `recipients` 1–256, sorted
 * ascending, unique, the sender among them; `sent_at` an integer 0 … 2^53 − 1; `content_type`
 * 1–127 printable ASCII other than `"` and `\`; at most 16 384 bytes in all. Null otherwise.
 */
export function parseHeader(header: string): HeaderFields | null {
  if (typeof header !== 'string' || utf8(header).length > MAX_HEADER_LEN) return null;
  const value = parseCanonical(header);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'content_type,conversation_id,message_id,recipients,sender_id,sent_at,v') return null;
  const { v, content_type, conversation_id, message_id, sender_id, recipients, sent_at } = value;
  if (v !== ENVELOPE_VERSION && v !== LEGACY_VERSION) return null;
  if (typeof content_type !== 'string' || !readableContentType(content_type)) return null;
  if (!isUuid(conversation_id) || !isUuid(message_id) || !isUuid(sender_id)) return null;
  if (!validSentAt(sent_at)) return null;
  if (!Array.isArray(recipients) || recipients.length < 1 || recipients.length > MAX_GROUP_SIZE) return null;
  const ids: string[] = [];
  for (const r of recipients) {
    if (!isUuid(r)) return null;
    ids.push(r);
  }
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return null;
  if (!ids.includes(sender_id)) return null;
  return { v, content_type, conversation_id, message_id, sender_id, recipients: ids, sent_at };
}

export async function openMessage(msg: ReceivedMessage, ctx: OpenContext): Promise<OpenResult> {
  try {
    const header = parseHeader(msg.header);
    if (!header) return { ok: false, reason: 'malformed header' };
    if (header.conversation_id !== msg.conversation_id) return { ok: false, reason: 'header names another conversation' };
    if (header.sender_id !== msg.sender_id) return { ok: false, reason: 'header names another sender' };
    if (header.message_id !== msg.message_id) return { ok: false, reason: 'header names another message' };
    if (!header.recipients.includes(ctx.ownUserId)) return { ok: false, reason: 'not addressed to us' };
    if (!header.recipients.includes(header.sender_id)) return { ok: false, reason: 'sender not among recipients' };
    if (!ctx.senderSigPublic) return { ok: false, reason: 'no trusted key for the sender' };
    const h = await sha256(utf8(msg.header));
    const iv = fromBase64(msg.iv);
    const ciphertext = fromBase64(msg.ciphertext);
    const signature = fromBase64(msg.signature);
    const wrappedKey = fromBase64(msg.wrapped_key);
    if (iv.length !== IV_LEN || signature.length !== SIGNATURE_LEN || ciphertext.length < TAG_LEN || wrappedKey.length !== WRAPPED_KEY_LEN) {
      return { ok: false, reason: 'bad sizes' };
    }
    const legacy = header.v === LEGACY_VERSION;
    // §5.5: a v1 message's commitment is ignored if present; a v2 message needs one.
    const commitment = legacy || msg.commitment === undefined ? null : fromBase64(msg.commitment);
    if (!legacy && commitment?.length !== COMMITMENT_LEN) return { ok: false, reason: 'bad key commitment shape' };
    const signedData = commitment ? concat(h, commitment, iv, ciphertext) : concat(h, iv, ciphertext);
    const signed = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ctx.senderSigPublic, signature, signedData);
    if (!signed) return { ok: false, reason: 'bad signature' };
    const rawK = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'RSA-OAEP', label: h }, ctx.ownEncPrivate, wrappedKey),
    );
    if (rawK.length !== KEY_LEN) return { ok: false, reason: 'bad content key' };
    if (commitment && !(await commitmentHolds(rawK, h, commitment))) {
      rawK.fill(0);
      return { ok: false, reason: 'content key does not match the key commitment' };
    }
    const k = await crypto.subtle.importKey('raw', rawK, 'AES-GCM', false, ['decrypt']);
    rawK.fill(0);
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: h }, k, ciphertext);
    return { ok: true, text: fromUtf8(new Uint8Array(plain)), header, legacy };
  } catch {
    return { ok: false, reason: 'decryption failed' };
  }
}
