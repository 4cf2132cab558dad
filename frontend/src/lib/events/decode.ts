//! The one guarded decoder at the stream boundary (docs/protocol.md §7.4, §5.5): untrusted JSON
//! from the event stream (and the history items, which have the same shape) becomes a typed
//! event, or a rejected value naming what was wrong. Nothing downstream casts untrusted data.
//! An event type this client does not know is `unknown` (skipped, but its id still counts, §7.3).
//!
//! The OpenAPI document types the REST bodies (`lib/api/types.ts`); the event payloads and the
//! history items are not in it, so their parsed forms are declared here, beside their parsers.

import type { Conversation, UserRef } from '@/lib/api/types';

/** A message object (§5.5): history item or `message` event data. Content fields are base64. */
export interface MessageObject {
  conversation_id: string;
  message_id: string;
  position: number;
  sender_id: string;
  server_ts: number;
  /** Deleted by its sender: no content fields. */
  deleted: boolean;
  header?: string;
  iv?: string;
  ciphertext?: string;
  signature?: string;
  /** v2 only; absent or null on a stored v1 message. */
  commitment?: string;
  /** The reader's own wrapped content key. */
  wrapped_key?: string;
}

export type ReceiptStatus = 'delivered' | 'read';
export type ConversationChange = 'created' | 'member_added' | 'member_removed';

export type CourierEvent =
  | { type: 'ready'; lastSeq: number }
  | { type: 'message'; message: MessageObject }
  | { type: 'message_deleted'; conversationId: string; messageId: string }
  | { type: 'receipt'; conversationId: string; userId: string; status: ReceiptStatus; upTo: string; position: number }
  /** `conversation` is null when the reader was removed (the server then sends only `{id}`). */
  /** `by`: who made the change (the subject itself when they left); null from older servers. */
  | { type: 'conversation'; change: ConversationChange; userId: string | null; by: string | null; conversationId: string; conversation: Conversation | null }
  | { type: 'typing'; conversationId: string; userId: string }
  | { type: 'presence'; userId: string; online: boolean }
  | { type: 'unknown'; name: string };

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

class Reject extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Reject(`${what} is not an object`);
  return v;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Reject(`${key} is not a string`);
  return v;
}

function optStr(o: Obj, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Reject(`${key} is not a string`);
  return v;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuid(o: Obj, key: string): string {
  const v = str(o, key);
  if (!UUID_RE.test(v)) throw new Reject(`${key} is not a lowercase UUID`);
  return v;
}

function int(o: Obj, key: string, min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Reject(`${key} is not an integer ≥ ${min}`);
  return v;
}

function optInt(o: Obj, key: string): number | null | undefined {
  const v = o[key];
  if (v === undefined || v === null) return v;
  return int(o, key);
}

function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new Reject(`${key} is not a boolean`);
  return v;
}

function list(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new Reject(`${key} is not an array`);
  return v;
}

function userRef(v: unknown): UserRef {
  const o = obj(v, 'member');
  return { id: uuid(o, 'id'), username: str(o, 'username') };
}

function oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[]): T {
  const v = str(o, key);
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new Reject(`${key} is not one of ${allowed.join(', ')}`);
  return hit;
}

function conversationFrom(v: unknown): Conversation {
  const o = obj(v, 'conversation');
  if (!Array.isArray(o.members)) throw new Reject('members is not an array');
  const conv: Conversation = {
    id: uuid(o, 'id'),
    kind: oneOf(o, 'kind', ['direct', 'group'] as const),
    members: o.members.map(userRef),
    // Older servers do not send it: nobody has left as far as they say.
    former_members: o.former_members === undefined ? [] : list(o, 'former_members').map(userRef),
    created_at: str(o, 'created_at'),
    last_activity_at: str(o, 'last_activity_at'),
    last_position: int(o, 'last_position'),
  };
  const title = optStr(o, 'title');
  if (title !== undefined) conv.title = title;
  const createdBy = optStr(o, 'created_by');
  if (createdBy !== undefined) conv.created_by = createdBy;
  const addedBy = optStr(o, 'added_by');
  if (addedBy !== undefined) conv.added_by = addedBy;
  for (const key of ['read_up_to', 'delivered_up_to', 'unread_count'] as const) {
    const n = optInt(o, key);
    if (n !== undefined) conv[key] = n;
  }
  return conv;
}

function messageFrom(v: unknown): MessageObject {
  const o = obj(v, 'message');
  const base = {
    conversation_id: uuid(o, 'conversation_id'),
    message_id: uuid(o, 'message_id'),
    position: int(o, 'position', 1),
    sender_id: uuid(o, 'sender_id'),
    server_ts: int(o, 'server_ts'),
  };
  if (o.deleted === true) return { ...base, deleted: true };
  const m: MessageObject = { ...base, deleted: false };
  for (const key of ['header', 'iv', 'ciphertext', 'signature', 'commitment', 'wrapped_key'] as const) {
    const s = optStr(o, key);
    if (s !== undefined) m[key] = s;
  }
  return m;
}

function guard<T>(parse: () => T): Decoded<T> {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.message };
    throw e;
  }
}

/** A history item or `message` event payload. */
export function decodeMessage(data: unknown): Decoded<MessageObject> {
  return guard(() => messageFrom(data));
}

/** A conversation object (`GET /api/conversations/{id}`, OpenAPI `ConversationView`). */
export function decodeConversation(data: unknown): Decoded<Conversation> {
  return guard(() => conversationFrom(data));
}

/** One stream event: its SSE `event` name and parsed JSON `data`. */
export function decodeEvent(type: string, data: unknown): Decoded<CourierEvent> {
  return guard((): CourierEvent => {
    switch (type) {
      case 'ready':
        return { type, lastSeq: int(obj(data, type), 'last_seq') };
      case 'message':
        return { type, message: messageFrom(data) };
      case 'message_deleted': {
        const o = obj(data, type);
        return { type, conversationId: uuid(o, 'conversation_id'), messageId: uuid(o, 'message_id') };
      }
      case 'receipt': {
        const o = obj(data, type);
        return {
          type,
          conversationId: uuid(o, 'conversation_id'),
          userId: uuid(o, 'user_id'),
          status: oneOf(o, 'status', ['delivered', 'read'] as const),
          upTo: uuid(o, 'up_to'),
          position: int(o, 'position', 1),
        };
      }
      case 'conversation': {
        const o = obj(data, type);
        const change = oneOf(o, 'change', ['created', 'member_added', 'member_removed'] as const);
        const userId = o.user_id === null || o.user_id === undefined ? null : uuid(o, 'user_id');
        const by = o.by === null || o.by === undefined ? null : uuid(o, 'by');
        const c = obj(o.conversation, 'conversation');
        const conversation = 'members' in c ? conversationFrom(c) : null;
        return { type, change, userId, by, conversationId: uuid(c, 'id'), conversation };
      }
      case 'typing': {
        const o = obj(data, type);
        return { type, conversationId: uuid(o, 'conversation_id'), userId: uuid(o, 'user_id') };
      }
      case 'presence': {
        const o = obj(data, type);
        return { type, userId: uuid(o, 'user_id'), online: bool(o, 'online') };
      }
      default:
        return { type: 'unknown', name: type };
    }
  });
}
