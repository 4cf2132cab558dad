//! Message envelope v2, key-committing (docs/protocol.md; v1 in DESIGN.md §2). Sealing:
//! canonical header (v = 2) → h = SHA-256(header); a fresh AES-256-GCM content key K encrypts the
//! text with AAD h; K is RSA-OAEP-wrapped for every recipient with label h; the commitment
//! HMAC-SHA256(K, "courier/v2/commit" ‖ h) binds the message to K; the sender signs
//! h ‖ commitment ‖ iv ‖ ciphertext. Without the commitment a sender could wrap a different K for
//! one recipient, and one signed message would read differently for each. Opening checks all of
//! it (the commitment after unwrapping K, in constant time, before decrypting) and returns a
//! "could not verify" result on any failure, never partial text. A legacy v1 message (no
//! commitment, signed over h ‖ iv ‖ ciphertext) still opens, marked `legacy`; nothing writes v1.

import type { EnvelopeBody } from '@/lib/api/types';
import { canonicalJson, parseCanonical } from './canonical';
import { type Bytes, concat, copyBytes, fromBase64, fromUtf8, randomBytes, toBase64, utf8 } from './encoding';

export const ENVELOPE_VERSION = 2;
export const LEGACY_VERSION = 1;
export const COMMIT_LABEL = 'courier/v2/commit';
export const TEXT_PLAIN = 'text/plain';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  if ((input.contentType ?? TEXT_PLAIN) === TEXT_PLAIN && !input.plaintext.trim()) throw new Error('an empty message is not sent');
  const header = canonicalHeader({
    v: ENVELOPE_VERSION,
    conversation_id: input.conversationId,
    message_id: input.messageId,
    sender_id: input.senderId,
    recipients,
    content_type: input.contentType ?? TEXT_PLAIN,
    sent_at: input.sentAt,
  });
  const h = await sha256(utf8(header));
  const rawK = randomBytes(32);
  const k = await crypto.subtle.importKey('raw', rawK, 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(12);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: h }, k, utf8(input.plaintext)),
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

export function parseHeader(header: string): HeaderFields | null {
  const value = parseCanonical(header);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const f = value as unknown as HeaderFields;
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'content_type,conversation_id,message_id,recipients,sender_id,sent_at,v') return null;
  if ((f.v !== ENVELOPE_VERSION && f.v !== LEGACY_VERSION) || typeof f.content_type !== 'string') return null;
  if (![f.conversation_id, f.message_id, f.sender_id].every((id) => typeof id === 'string' && UUID_RE.test(id))) return null;
  if (!Number.isSafeInteger(f.sent_at)) return null;
  if (!Array.isArray(f.recipients) || !f.recipients.every((r) => typeof r === 'string' && UUID_RE.test(r))) return null;
  for (let i = 1; i < f.recipients.length; i++) if (!(f.recipients[i - 1] < f.recipients[i])) return null;
  return f;
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
    if (iv.length !== 12 || signature.length !== 64 || ciphertext.length < 16) return { ok: false, reason: 'bad sizes' };
    const legacy = header.v === LEGACY_VERSION;
    const commitment = msg.commitment === undefined ? null : fromBase64(msg.commitment);
    if (legacy ? commitment !== null : commitment?.length !== 32) return { ok: false, reason: 'bad key commitment shape' };
    const signedData = commitment ? concat(h, commitment, iv, ciphertext) : concat(h, iv, ciphertext);
    const signed = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ctx.senderSigPublic, signature, signedData);
    if (!signed) return { ok: false, reason: 'bad signature' };
    const rawK = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'RSA-OAEP', label: h }, ctx.ownEncPrivate, fromBase64(msg.wrapped_key)),
    );
    if (rawK.length !== 32) return { ok: false, reason: 'bad content key' };
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
