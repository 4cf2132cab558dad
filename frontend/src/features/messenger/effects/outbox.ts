//! Effect: the outbox, so that no message written is ever lost. Every own message is written to
//! IndexedDB (sealed with the user key, see lib/storage/sealed.ts) and the write is awaited
//! BEFORE the first post; it leaves the outbox only when the server accepted it (201, which is
//! also the answer to a repeat of a `message_id` it already stored). So a message written offline,
//! or whose answer was lost, or whose tab crashed, is still there after a reload and is posted
//! again with its ORIGINAL `message_id`: the server is idempotent on it, nothing is stored twice.
//!
//! Policy (docs/protocol.md §5.2, §12.2):
//! - posted one at a time in creation order (so per conversation in the order written), when the
//!   app starts, when a message is written, when the event stream is live again, and on a backoff
//!   timer after a transient failure;
//! - network errors, 5xx, 408, 429 (after `Retry-After`) and 401: transient, the message stays
//!   queued (a clock, "Waiting to send"), never an error alert;
//! - `recipients_mismatch` (membership changed, nothing stored): reload the conversation and seal
//!   again for the current members with the same `message_id`;
//! - any other refusal (4xx) is final: the message is marked failed ("Not sent", Retry, Delete)
//!   and stays in the outbox (so it survives a reload) until the person retries or deletes it.
//! Tabs of the same user take turns sending (a Web Lock around each round), and each round reads
//! the outbox afresh, so a record is never posted by two tabs at once; the timeline merges by
//! message id, so a message another tab sent shows once.

import { fromBase64, fromUtf8, sealMessage, toBase64, type AttachmentDescriptor, type Envelope } from '@/lib/crypto';
import { ApiError, describeError } from '@/lib/api/errors';
import { ATTACHMENT_CONTENT_TYPE, TEXT_PLAIN } from '@/lib/protocol/constants';
import { idbDelete, idbDeletePrefix, idbEntries, idbKeys, idbSet } from '@/lib/storage/idb';
import { openJson, sealJson } from '@/lib/storage/sealed';
import { fitContent } from '@/features/attachments';
import { getConversation } from '@/features/conversations';
import { sendMessage } from '@/features/messages';
import type { ChatMessage, MessengerState } from '../model';
import type { Messenger } from '../messenger';
import type { MessengerStore } from '../store';
import { SendBlockedError } from './contacts';

/** What a message is, as kept in the outbox: text, or files already uploaded (descriptors). */
export type OutboxContent = { kind: 'text'; text: string } | { kind: 'attachments'; text?: string; attachments: AttachmentDescriptor[] };

export interface OutboxRecord {
  conversationId: string;
  messageId: string;
  sentAt: number;
  /** Orders the outbox (strictly increasing per tab): the key's time part. */
  createdAt: number;
  content: OutboxContent;
  /** Sealed for the members at sealing time; dropped when membership changed. */
  envelope?: Envelope;
  /** Set when the server refused it for good: why (the person retries or deletes). */
  failed?: string;
}

/** What posting an envelope answered: its place in the conversation. */
export interface Posted {
  position: number;
}

/** What the outbox needs from the rest of the messenger (real network and crypto, or fakes). */
export interface OutboxDeps {
  /** Seals the record's content for the conversation's current members. */
  seal(rec: OutboxRecord): Promise<Envelope>;
  post(rec: OutboxRecord, envelope: Envelope): Promise<Posted>;
  /** After `recipients_mismatch`: fetch the conversation's current members (and their keys). */
  reloadConversation(conversationId: string): Promise<void>;
}

export const outboxPrefix = (userId: string) => `outbox:${userId}:`;
export const outboxKey = (userId: string, rec: Pick<OutboxRecord, 'createdAt' | 'messageId'>) => `${outboxPrefix(userId)}${String(rec.createdAt).padStart(16, '0')}:${rec.messageId}`;
const aadFor = (userId: string, messageId: string) => `courier/local/outbox|${userId}|${messageId}`;

/** Bytes (attachment keys, digests, thumbnails) through JSON: `{ $bytes: base64 }` and back. */
function packBytes(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: toBase64(v) };
  if (Array.isArray(v)) return v.map(packBytes);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, packBytes(x)]));
  return v;
}

function unpackBytes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unpackBytes);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return fromBase64(o.$bytes);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unpackBytes(x)]));
  }
  return v;
}

/** The outbox in IndexedDB: one sealed record per message, in key (= creation) order. */
export class OutboxStore {
  constructor(
    private readonly userId: string,
    private readonly userKey: CryptoKey,
  ) {}

  /** `wanted`: checked once sealed, so a sign-out meanwhile (which empties the outbox) wins. */
  async put(rec: OutboxRecord, wanted: () => boolean = () => true): Promise<void> {
    const sealed = await sealJson(this.userKey, aadFor(this.userId, rec.messageId), packBytes(rec));
    if (wanted()) await idbSet(outboxKey(this.userId, rec), sealed);
  }

  async remove(messageId: string): Promise<void> {
    for (const k of await idbKeys(outboxPrefix(this.userId))) if (k.endsWith(`:${messageId}`)) await idbDelete(k);
  }

  /** Every record that opens under this user key, in creation order (others are dropped). */
  async list(): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const [key, sealed] of await idbEntries<unknown>(outboxPrefix(this.userId))) {
      const messageId = key.slice(key.lastIndexOf(':') + 1);
      const opened = await openJson<unknown>(this.userKey, aadFor(this.userId, messageId), sealed);
      const rec = opened === null ? null : (unpackBytes(opened) as OutboxRecord);
      if (rec && rec.messageId === messageId && outboxKey(this.userId, rec) === key) out.push(rec);
      else await idbDelete(key).catch(() => {}); // not ours (another key), moved, or damaged
    }
    return out;
  }
}

/** Sign-out and account deletion: this user's outbox goes. */
export function clearOutbox(userId: string): Promise<void> {
  return idbDeletePrefix(outboxPrefix(userId));
}

export type SendOutcome =
  /** Try again later (after `afterMs` when the server said). */
  | { kind: 'retry'; afterMs: number | null }
  /** Membership changed: seal again for the current members, same message id. */
  | { kind: 'reseal' }
  /** Final: the server (or a key check) refused it. */
  | { kind: 'refused'; reason: string };

/** How a failed send is handled (see the policy at the top). `state`: to tell a key that could
 *  not be fetched (offline: retry) from one that changed or is invalid (refused). */
export function classifySendError(e: unknown, state?: Pick<MessengerState, 'contacts'>): SendOutcome {
  if (e instanceof SendBlockedError) {
    const bad = e.userIds.some((id) => ['changed', 'invalid'].includes(state?.contacts[id]?.status?.kind ?? ''));
    return bad ? { kind: 'refused', reason: e.message } : { kind: 'retry', afterMs: null };
  }
  if (e instanceof ApiError) {
    if (e.isNetwork || e.status >= 500 || e.status === 408 || e.status === 401) return { kind: 'retry', afterMs: null };
    if (e.status === 429) return { kind: 'retry', afterMs: e.retryAfter ? e.retryAfter * 1000 : null };
    if (e.code === 'recipients_mismatch') return { kind: 'reseal' };
    return { kind: 'refused', reason: describeError(e) };
  }
  if (e instanceof TypeError) return { kind: 'retry', afterMs: null }; // a fetch that did not reach the server
  return { kind: 'refused', reason: describeError(e) };
}

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/** The wait before attempt `n` (0-based) after transient failures: doubling, capped, ±20 %. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(n, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The timeline entry for an outbox record. */
export function messageOf(rec: OutboxRecord, senderId: string): ChatMessage {
  return {
    id: rec.messageId,
    conversationId: rec.conversationId,
    senderId,
    position: null,
    sentAt: rec.sentAt,
    local: rec.failed ? 'failed' : 'queued',
    content: rec.content,
    ...(rec.failed ? { failure: rec.failed } : {}),
  };
}

const NOT_SENT = 'Message not sent.';
const MAX_RESEALS = 3;

/** The alert for a refusal ("Message not sent. …"; cleared once the connection is back). */
function notSent(reason: string): string {
  const why = reason.replace(/^Not sent: /, '');
  return `${NOT_SENT} ${why.charAt(0).toUpperCase()}${why.slice(1)}`;
}

/** Runs `fn` while holding this user's outbox lock (shared by the user's tabs), when there is one. */
async function withLock(name: string, fn: () => Promise<void>): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks) await locks.request(name, fn);
  else await fn();
}

export class OutboxEffects {
  private readonly box: OutboxStore;
  private lastCreated = 0;
  private running = false;
  private again = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  /** Records that could not be stored (no IndexedDB): sent from memory, lost on reload. */
  private memory: OutboxRecord[] = [];
  /** Records loaded at start whose conversation's timeline did not exist yet. */
  private unshown: OutboxRecord[] = [];
  /** Resolves once the stored outbox was loaded into the timelines. */
  loaded: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MessengerStore,
    private readonly userId: string,
    userKey: CryptoKey,
    private readonly deps: OutboxDeps,
  ) {
    this.box = new OutboxStore(userId, userKey);
  }

  /** Loads what an earlier page left (queued in its timeline) and starts sending. */
  start(): void {
    let { connection, timelines } = this.store.get();
    this.unsubscribe = this.store.subscribe(() => {
      const s = this.store.get();
      if (s.timelines !== timelines) {
        timelines = s.timelines;
        if (this.unshown.length) this.show();
      }
      if (s.connection !== connection) {
        connection = s.connection;
        if (connection === 'live') this.online();
      }
    });
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
    this.loaded = this.box
      .list()
      .then((recs) => {
        this.unshown = recs;
        this.show();
      })
      .catch(() => {
        /* IndexedDB unavailable: nothing stored to show */
      })
      .finally(() => this.kick());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    this.unsubscribe?.();
  }

  private onOnline = (): void => this.online();

  /** The connection is back: a "Message not sent" alert is stale; send now, backoff reset. */
  online(): void {
    this.clearNotice();
    this.attempt = 0;
    this.kick();
  }

  /**
   * A message written now: shown at once (sending), stored durably, then sent. Resolves once it is
   * in the outbox (not when it is posted). A storage failure still sends it (this page only).
   */
  async add(message: ChatMessage & { content: OutboxContent }): Promise<void> {
    if (!this.store.get().timelines[message.conversationId]?.messages.some((m) => m.id === message.id)) {
      this.store.dispatch({ type: 'message/local', message: { ...message, local: 'sending' } });
    }
    const rec: OutboxRecord = {
      conversationId: message.conversationId,
      messageId: message.id,
      sentAt: message.sentAt,
      createdAt: this.nextCreated(),
      content: message.content,
    };
    try {
      await this.box.put(rec, this.wanted);
    } catch {
      this.memory.push(rec);
    }
    this.kick();
  }

  /** Strictly increasing creation times, so the key order is the order written. */
  private nextCreated(): number {
    this.lastCreated = Math.max(Date.now(), this.lastCreated + 1);
    return this.lastCreated;
  }

  /** The person asked to send a failed message again (same message id). */
  async retry(convId: string, messageId: string): Promise<void> {
    const msg = this.store.get().timelines[convId]?.messages.find((m) => m.id === messageId);
    if (!msg || msg.local !== 'failed') return;
    this.patch(convId, messageId, { local: 'sending', failure: undefined });
    const rec = (await this.box.list().catch(() => [])).find((r) => r.messageId === messageId) ?? this.memory.find((r) => r.messageId === messageId);
    if (rec) {
      const again = { ...rec, failed: undefined };
      await this.save(again);
    } else if (msg.content.kind === 'text' || (msg.content.kind === 'attachments' && msg.content.attachments.length)) {
      await this.add({ ...msg, content: msg.content });
      return;
    } else {
      this.patch(convId, messageId, { local: 'failed' });
      return;
    }
    this.attempt = 0;
    this.kick();
  }

  /** The person deleted a message that was not sent: it leaves the outbox and the timeline. */
  async discard(convId: string, messageId: string): Promise<void> {
    this.memory = this.memory.filter((r) => r.messageId !== messageId);
    await this.box.remove(messageId).catch(() => {});
    this.store.dispatch({ type: 'message/dropped', conversationId: convId, messageId });
  }

  private async save(rec: OutboxRecord): Promise<void> {
    const i = this.memory.findIndex((r) => r.messageId === rec.messageId);
    if (i >= 0) this.memory[i] = rec;
    else await this.box.put(rec, this.wanted);
  }

  private wanted = (): boolean => !this.stopped;

  private async unstore(rec: OutboxRecord): Promise<void> {
    this.memory = this.memory.filter((r) => r.messageId !== rec.messageId);
    await this.box.remove(rec.messageId);
  }

  /** Shows loaded records in timelines that exist (others wait for theirs). */
  private show(): void {
    const pending = this.unshown;
    this.unshown = []; // (showing one changes the timelines, which calls this again)
    for (const rec of pending) {
      const t = this.store.get().timelines[rec.conversationId];
      if (!t) this.unshown.push(rec);
      else if (!t.messages.some((m) => m.id === rec.messageId)) this.store.dispatch({ type: 'message/local', message: messageOf(rec, this.userId) });
    }
  }

  private patch(convId: string, messageId: string, patch: Partial<ChatMessage>): void {
    const cur = this.store.get().timelines[convId]?.messages.find((m) => m.id === messageId);
    // What the server stored stays stored (the stream can bring it before the post's answer).
    if (!cur || (cur.local === 'stored' && patch.local !== 'stored')) return;
    this.store.dispatch({ type: 'message/patched', conversationId: convId, messageId, patch });
  }

  private clearNotice(): void {
    if (this.store.get().notice?.text.startsWith(NOT_SENT)) this.store.dispatch({ type: 'notice', notice: null });
  }

  /** Starts a round of sending now (or once the running one ends). */
  kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void withLock(`courier-outbox-${this.userId}`, () => this.round())
      .catch(() => this.later(null))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private later(afterMs: number | null): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const wait = Math.max(afterMs ?? 0, backoffMs(this.attempt++));
    this.timer = setTimeout(() => this.kick(), wait);
  }

  /** Posts every record in order; stops at the first transient failure (and waits). */
  private async round(): Promise<void> {
    const stored = await this.box.list();
    const recs = [...stored, ...this.memory].sort((a, b) => a.createdAt - b.createdAt);
    for (const rec of recs) {
      if (this.stopped) return;
      if (rec.failed) {
        this.patch(rec.conversationId, rec.messageId, { local: 'failed', failure: rec.failed }); // refused in another tab
        continue;
      }
      const outcome = await this.sendOne(rec);
      if (outcome.kind === 'retry') {
        // The rest waits too (in order): a clock on each, not "sending".
        for (const r of recs) if (!r.failed && r.createdAt > rec.createdAt) this.patch(r.conversationId, r.messageId, { local: 'queued' });
        this.later(outcome.afterMs);
        return;
      }
    }
    this.attempt = 0;
  }

  private async sendOne(first: OutboxRecord): Promise<SendOutcome | { kind: 'sent' }> {
    let rec = first;
    const { conversationId: convId, messageId } = rec;
    for (let reseals = 0; ; reseals++) {
      try {
        this.patch(convId, messageId, { local: 'sending' });
        let envelope = rec.envelope;
        if (!envelope) {
          envelope = await this.deps.seal(rec);
          rec = { ...rec, envelope };
          await this.save(rec); // the envelope is durable before it is posted
        }
        const res = await this.deps.post(rec, envelope);
        this.patch(convId, messageId, { local: 'stored', position: res.position, envelope: undefined });
        this.clearNotice();
        this.attempt = 0; // the server answers again: the next failure starts the backoff over
        await this.unstore(rec).catch(() => {}); // if this fails, a repeat post answers the same
        return { kind: 'sent' };
      } catch (e) {
        const outcome = classifySendError(e, this.store.get());
        if (outcome.kind === 'reseal' && reseals < MAX_RESEALS) {
          rec = { ...rec, envelope: undefined };
          await this.save(rec).catch(() => {});
          await this.deps.reloadConversation(convId).catch(() => {});
          continue;
        }
        if (outcome.kind === 'refused') {
          rec = { ...rec, failed: outcome.reason };
          await this.save(rec).catch(() => {});
          this.patch(convId, messageId, { local: 'failed', failure: outcome.reason });
          this.store.dispatch({ type: 'notice', notice: { kind: 'error', text: notSent(outcome.reason) } });
          return outcome;
        }
        this.patch(convId, messageId, { local: 'queued' });
        return outcome.kind === 'reseal' ? { kind: 'retry', afterMs: null } : outcome;
      }
    }
  }
}

/** The plaintext and content type a record is sealed with. */
function plaintextOf(content: OutboxContent): { plaintext: string; contentType: string } {
  if (content.kind === 'text') return { plaintext: content.text, contentType: TEXT_PLAIN };
  const { text, attachments } = content;
  const { bytes } = fitContent({ ...(text !== undefined ? { text } : {}), attachments });
  return { plaintext: fromUtf8(bytes), contentType: ATTACHMENT_CONTENT_TYPE };
}

/** The real network and crypto: seal for every member with fresh, trusted keys; post. */
export function messengerDeps(m: Messenger): OutboxDeps {
  return {
    async seal(rec) {
      const conv = m.store.get().conversations.byId[rec.conversationId];
      if (!conv) throw new Error('This conversation is gone.');
      const ids = conv.members.map((x) => x.id);
      if (!ids.includes(m.me.id)) ids.push(m.me.id);
      const keys = await m.contacts.encKeysForSending(ids);
      const recipients = ids.flatMap((id) => {
        const encPublic = keys.get(id);
        return encPublic ? [{ userId: id, encPublic }] : [];
      });
      const { plaintext, contentType } = plaintextOf(rec.content);
      return sealMessage({
        conversationId: rec.conversationId,
        messageId: rec.messageId,
        senderId: m.me.id,
        recipients,
        plaintext,
        contentType,
        sentAt: rec.sentAt,
        signingKey: m.keys.sigPrivate,
      });
    },
    async post(rec, envelope) {
      // A typing notification in flight must reach the server before the message (effects/typing.ts).
      await m.typing.settled(rec.conversationId);
      const attachmentIds = rec.content.kind === 'attachments' ? rec.content.attachments.map((d) => d.attachmentId) : [];
      return sendMessage(rec.conversationId, envelope, attachmentIds);
    },
    async reloadConversation(convId) {
      const conv = await getConversation(convId);
      m.store.dispatch({ type: 'conversation/upserted', conversation: conv });
      await m.checkContacts(conv.members.map((x) => x.id));
    },
  };
}
