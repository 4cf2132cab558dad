//! Effect: the encrypted local history cache. A reload shows the conversation list (with unread
//! counts and previews) and each chat's most recent messages at once, from this device, before
//! the network answers; then it syncs, so that only what is new is downloaded and opened.
//!
//! Storage: IndexedDB (lib/storage/idb.ts), one record for the list (`history:<user>:list`) and
//! one per conversation (`history:<user>:<conversation>`), each sealed with the user key under an
//! AAD naming purpose, user and conversation (lib/storage/sealed.ts): nothing readable is stored,
//! another user's records never open, and an altered or moved record does not open and is
//! dropped. Bounded: the newest `MAX_MESSAGES` opened messages of the `MAX_CONVERSATIONS` most
//! recently active conversations; telemetry batches only as their summary (never points).
//! Written after changes, at most every `WRITE_DELAY_MS`, and whenever the tab is hidden; only the
//! conversations that changed.
//!
//! Consistency. Every record carries the event seq (docs/protocol.md §7.3) its snapshot reflects;
//! on start the event stream resumes from the oldest of those and the saved resume point, so
//! everything the cache may lack (a message, a deletion, a member change) is replayed and none
//! can be missed even though the cache is written later than the resume point is saved. A record
//! left unchanged by later flushes is vouched for by the list record (`written`): valid through
//! the list's seq. Only a contiguous run of settled messages is kept (the newest up to the first
//! one that is not opened, or failed to verify), so a restored chat has no holes; a message is
//! kept with the fingerprint of the key it verified against, and a conversation holding one whose
//! sender's pinned key has since changed is not restored at all (it loads from the server, as
//! without a cache). Deleted messages are kept as tombstones: a later copy never revives them.
//! Sign-out and account deletion remove every record of the user (`clearHistoryCache`).
import { idbDelete, idbDeletePrefix, idbEntries, idbGet, idbKeys, idbSet } from '@/lib/storage/idb';
import { openJson, sealJson } from '@/lib/storage/sealed';
import { fromBase64, toBase64 } from '@/lib/crypto';
import type { Conversation } from '@/lib/api/types';
import type { MessageObject } from '@/lib/events/decode';
import type { ChatMessage, MessageContent, MessengerState, RestoredTimeline, Timeline } from '../model';
import type { MessengerStore } from '../store';

export const MAX_MESSAGES = 100;
export const MAX_CONVERSATIONS = 50;
const MAX_LISTED = 300;
const WRITE_DELAY_MS = 1500;
const MAX_DEFERRALS = 3;
/** A cache that cannot be read quickly is not worth delaying the network for. */
const RESTORE_TIMEOUT_MS = 3000;

const prefix = (userId: string) => `history:${userId}:`;
const listKey = (userId: string) => `${prefix(userId)}list`;
const convKey = (userId: string, convId: string) => `${prefix(userId)}${convId}`;
const listAad = (userId: string) => `courier/local/history-list|${userId}`;
const convAad = (userId: string, convId: string) => `courier/local/history|${userId}|${convId}`;

/** One opened message as kept: `signer` is the fingerprint it verified against (null: deleted). */
export interface CachedMessage {
  id: string;
  senderId: string;
  position: number;
  sentAt: number;
  content: MessageContent;
  signer: string | null;
}

export interface ConversationRecord {
  v: 1;
  seq: number;
  loaded: boolean;
  hasOlder: boolean;
  messages: CachedMessage[];
  preview: CachedMessage | null;
}

export interface ListRecord {
  v: 1;
  seq: number;
  conversations: Conversation[];
  /** conversation id → the seq of its record as this writer last wrote (or read) it. */
  written: Record<string, number>;
}

// ---- pure: what is kept, what comes back ------------------------------------------------------

/** Opened for good (not pending, not failed verification): worth keeping and never opened again. */
export function settled(c: MessageContent): boolean {
  switch (c.kind) {
    case 'text':
    case 'empty':
    case 'unsupported':
    case 'bad-content':
    case 'deleted':
    case 'series':
      return true;
    case 'attachments':
      return c.attachments.length > 0; // empty: our own upload still running
    case 'series-refused':
      return c.verified;
    default:
      return false;
  }
}

/**
 * The message an incoming copy repeats, if it is already opened here (from the cache or earlier
 * this session): its content is reused and nothing is decrypted again. Not for telemetry batches
 * (their points go to the charts, see Messenger.onSeries) nor anything unsettled (it may verify
 * now), nor when the copy says it was deleted.
 */
export function openedBefore(t: Timeline | undefined, w: MessageObject): ChatMessage | null {
  if (!t || w.deleted) return null;
  const m = t.messages.find((x) => x.id === w.message_id) ?? (t.preview?.id === w.message_id ? t.preview : null);
  if (!m || m.local !== 'stored' || !settled(m.content) || m.content.kind === 'series' || m.content.kind === 'series-refused') return null;
  return m;
}

/** The preview the list shows is older than the conversation's last message (or missing). */
export function previewStale(t: Timeline | undefined, conv: Conversation): boolean {
  if (!conv.last_position) return false;
  return !t?.preview || t.preview.position === null || t.preview.position < conv.last_position;
}

function cached(m: ChatMessage, signerOf: (m: ChatMessage) => string | null): CachedMessage | null {
  if (m.local !== 'stored' || m.position === null || !settled(m.content)) return null;
  const signer = m.content.kind === 'deleted' ? null : signerOf(m);
  if (m.content.kind !== 'deleted' && !signer) return null;
  return { id: m.id, senderId: m.senderId, position: m.position, sentAt: m.sentAt, content: m.content, signer };
}

/**
 * What a conversation's record holds (without its seq): the newest contiguous run of settled,
 * stored messages, at most `MAX_MESSAGES`; `hasOlder` when anything before it was left out.
 */
export function recordBody(t: Timeline, signerOf: (m: ChatMessage) => string | null): Omit<ConversationRecord, 'seq'> {
  const stored = t.messages.filter((m) => m.position !== null && m.local === 'stored');
  const kept: CachedMessage[] = [];
  let cut = false;
  for (let i = stored.length - 1; i >= 0; i--) {
    const c = kept.length < MAX_MESSAGES ? cached(stored[i], signerOf) : null;
    if (!c) {
      cut = true;
      break;
    }
    kept.push(c);
  }
  kept.reverse();
  const preview = t.preview ? cached(t.preview, signerOf) : null;
  return { v: 1, loaded: t.loaded && kept.length > 0, hasOlder: cut || t.hasOlder, messages: t.loaded ? kept : [], preview };
}

/**
 * Records are JSON: bytes (an attachment's key, digest, thumbnail) travel as `{"$bytes": base64}`
 * and come back as `Uint8Array`.
 */
export function encodeBytes(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: toBase64(v) };
  if (Array.isArray(v)) return v.map(encodeBytes);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeBytes(x)]));
  return v;
}

export function decodeBytes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeBytes);
  if (!isObj(v)) return v;
  if (typeof v.$bytes === 'string' && Object.keys(v).length === 1) {
    try {
      return fromBase64(v.$bytes);
    } catch {
      return null; // not ours (it was sealed by us, so never expected)
    }
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeBytes(x)]));
}

function chatMessage(convId: string, m: CachedMessage): ChatMessage {
  return { id: m.id, conversationId: convId, senderId: m.senderId, position: m.position, sentAt: m.sentAt, local: 'stored', content: m.content };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isCachedMessage(v: unknown): v is CachedMessage {
  return (
    isObj(v) && typeof v.id === 'string' && typeof v.senderId === 'string' && Number.isSafeInteger(v.position) && typeof v.sentAt === 'number' &&
    isObj(v.content) && typeof v.content.kind === 'string' && (v.signer === null || typeof v.signer === 'string')
  );
}

export function isConversationRecord(v: unknown): v is ConversationRecord {
  return (
    isObj(v) && v.v === 1 && Number.isSafeInteger(v.seq) && typeof v.loaded === 'boolean' && typeof v.hasOlder === 'boolean' &&
    Array.isArray(v.messages) && v.messages.every(isCachedMessage) && (v.preview === null || isCachedMessage(v.preview))
  );
}

export function isListRecord(v: unknown): v is ListRecord {
  return isObj(v) && v.v === 1 && Number.isSafeInteger(v.seq) && Array.isArray(v.conversations) && v.conversations.every((c) => isObj(c) && typeof c.id === 'string') && isObj(v.written);
}

/**
 * A record as a timeline, or null when a message in it verified against a key that is no longer
 * the sender's pinned one (`pinOf`: the fingerprint pinned now): a key change makes the server's
 * copy the only truth, so nothing of that conversation is restored.
 */
export function restoredTimeline(convId: string, r: ConversationRecord, pinOf: (userId: string) => string | null): RestoredTimeline | null {
  const all = r.preview ? [...r.messages, r.preview] : r.messages;
  if (all.some((m) => m.signer !== null && m.signer !== pinOf(m.senderId))) return null;
  return { messages: r.messages.map((m) => chatMessage(convId, m)), preview: r.preview ? chatMessage(convId, r.preview) : null, loaded: r.loaded, hasOlder: r.hasOlder };
}

/** Through which seq a record is known complete: the list's seq if the list vouches for it. */
export function validThrough(r: ConversationRecord, convId: string, list: ListRecord): number {
  return list.written[convId] === r.seq ? Math.max(r.seq, list.seq) : r.seq;
}

// ---- clearing ------------------------------------------------------------------------------

/** Bumped on clear: a cache of that user still writing (another flush in flight) stops. */
const epochs = new Map<string, number>();
/** Per user, every write and the clear run one after another. */
const queues = new Map<string, Promise<void>>();

function enqueue(userId: string, task: () => Promise<void>): Promise<void> {
  const next = (queues.get(userId) ?? Promise.resolve()).then(task).catch(() => {
    /* storage unavailable or full: the cache is only an optimisation */
  });
  queues.set(userId, next);
  return next;
}

/** Sign-out, account deletion: every record of the user goes (after any write in flight). */
export function clearHistoryCache(userId: string): Promise<void> {
  epochs.set(userId, (epochs.get(userId) ?? 0) + 1);
  return enqueue(userId, () => idbDeletePrefix(prefix(userId)));
}

// ---- the effect ----------------------------------------------------------------------------

export class HistoryCache {
  /** message id → fingerprint of the key it verified against (others' messages). */
  private signers = new Map<string, string>();
  /** conversation id → the body last written (JSON) and its record's seq. */
  private written = new Map<string, { json: string; seq: number }>();
  private seen = new Map<string, Timeline>();
  /** conversation id → flushes in a row that left it for later (a message was being opened). */
  private deferred = new Map<string, number>();
  private restoredConversations = new Map<string, Conversation>();
  private seq: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly epoch: number;
  private stopped = false;
  private pruned = false;
  private lastState: MessengerState | null = null;

  constructor(
    private readonly store: MessengerStore,
    private readonly userId: string,
    private readonly userKey: CryptoKey,
    /** The fingerprint of the key a user's messages verify against now (own included). */
    private readonly pinOf: (userId: string) => string | null,
  ) {
    this.epoch = epochs.get(userId) ?? 0;
  }

  /**
   * Shows what the cache holds and returns the seq the event stream must resume from (the saved
   * `resumePoint`, or older when the cache is). Never fails, never waits long: without a usable
   * cache the answer is `resumePoint`.
   */
  async restore(resumePoint: number | null): Promise<number | null> {
    let timedOut = false;
    const found = await Promise.race([
      this.read().catch(() => null),
      new Promise<null>((r) => setTimeout(() => r(null), RESTORE_TIMEOUT_MS)).then(() => ((timedOut = true), null)),
    ]);
    if (!found || timedOut || this.stopped) {
      this.seq = resumePoint;
      return resumePoint;
    }
    const { list, records } = found;
    const timelines: Record<string, RestoredTimeline> = {};
    let seq = list.seq;
    for (const [convId, r, t] of records) {
      timelines[convId] = t;
      seq = Math.min(seq, validThrough(r, convId, list));
      const { seq: recordSeq, ...body } = r;
      this.written.set(convId, { json: JSON.stringify(encodeBytes(body)), seq: recordSeq });
      for (const m of [...r.messages, ...(r.preview ? [r.preview] : [])]) if (m.signer) this.signers.set(m.id, m.signer);
    }
    this.store.dispatch({ type: 'history/restored', conversations: list.conversations, timelines });
    for (const c of list.conversations) this.restoredConversations.set(c.id, this.store.get().conversations.byId[c.id] ?? c);
    const from = resumePoint === null ? seq : Math.min(resumePoint, seq);
    this.seq = from;
    return from;
  }

  /** The list and the records that open, are well formed and still valid; the others are removed. */
  private async read(): Promise<{ list: ListRecord; records: [string, ConversationRecord, RestoredTimeline][] } | null> {
    const list = await openJson<unknown>(this.userKey, listAad(this.userId), await idbGet(listKey(this.userId)));
    if (!isListRecord(list)) {
      await this.dropAll();
      return null;
    }
    const records: [string, ConversationRecord, RestoredTimeline][] = [];
    const listed = new Set(list.conversations.map((c) => c.id));
    for (const [key, sealed] of await idbEntries<unknown>(prefix(this.userId))) {
      if (key === listKey(this.userId)) continue;
      const convId = key.slice(prefix(this.userId).length);
      const r = listed.has(convId) ? decodeBytes(await openJson<unknown>(this.userKey, convAad(this.userId, convId), sealed)) : null;
      const t = isConversationRecord(r) ? restoredTimeline(convId, r, this.pinOf) : null;
      if (t && isConversationRecord(r)) records.push([convId, r, t]);
      else await idbDelete(key); // altered, another key, not listed, or invalidated by a key change
    }
    return { list, records };
  }

  private async dropAll(): Promise<void> {
    for (const k of await idbKeys(prefix(this.userId))) await idbDelete(k);
  }

  /** After restore: writes follow changes from now on. */
  start(): void {
    if (this.stopped) return;
    this.lastState = this.store.get();
    this.unsubscribe = this.store.subscribe(() => {
      const s = this.store.get();
      if (s.conversations === this.lastState?.conversations && s.timelines === this.lastState.timelines) return;
      this.lastState = s;
      this.schedule();
    });
    window.addEventListener('pagehide', this.onPageHide);
    document.addEventListener('visibilitychange', this.onHidden);
    this.schedule();
  }

  stop(): void {
    if (this.stopped) return;
    this.unsubscribe?.();
    window.removeEventListener('pagehide', this.onPageHide);
    document.removeEventListener('visibilitychange', this.onHidden);
    if (this.timer) void this.flushNow(); // what changed last is kept (unless the user's cache was cleared)
    this.stopped = true;
  }

  /** The stream processed (or began live at) this seq: later snapshots reflect it. */
  processed(seq: number): void {
    if (this.seq === null || seq > this.seq) this.seq = seq;
  }

  /** These messages verified against the sender's key pinned now. */
  verified(messages: { messageId: string; senderId: string }[]): void {
    for (const m of messages) {
      const fp = this.pinOf(m.senderId);
      if (fp) this.signers.set(m.messageId, fp);
    }
  }

  /** Restored conversations the server no longer lists (and no event touched since) go. */
  reconcile(list: Conversation[]): void {
    const listed = new Set(list.map((c) => c.id));
    for (const [id, conv] of this.restoredConversations) {
      if (!listed.has(id) && this.store.get().conversations.byId[id] === conv) this.store.dispatch({ type: 'conversation/removed', conversationId: id });
    }
    this.restoredConversations.clear();
  }

  private onHidden = (): void => {
    // Leaving the tab is when a page is most likely closed: store everything now.
    if (document.visibilityState === 'hidden') void this.flushNow();
  };

  private onPageHide = (): void => {
    if (this.timer) void this.flushNow();
  };

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => void this.flushNow(), WRITE_DELAY_MS);
  }

  /** Writes what changed now (resolves once stored). */
  flushNow = (): Promise<void> => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return Promise.resolve();
    const state = this.store.get();
    const seq = this.seq ?? 0;
    return enqueue(this.userId, () => this.write(state, seq));
  };

  private signerOf = (m: ChatMessage): string | null => this.signers.get(m.id) ?? (m.senderId === this.store.get().me.id ? this.pinOf(m.senderId) : null);

  private live(): boolean {
    return (epochs.get(this.userId) ?? 0) === this.epoch;
  }

  private async write(state: MessengerState, seq: number): Promise<void> {
    if (!this.live()) return;
    const conversations = Object.values(state.conversations.byId)
      .sort((a, b) => (Date.parse(b.last_activity_at) || 0) - (Date.parse(a.last_activity_at) || 0))
      .slice(0, MAX_LISTED);
    const kept = new Set(conversations.slice(0, MAX_CONVERSATIONS).map((c) => c.id).filter((id) => state.timelines[id]));
    // A record this flush could not bring up to date must not be vouched for by the list.
    const unvouched = new Set<string>();
    for (const id of kept) {
      const t = state.timelines[id];
      if (this.seen.get(id) === t) continue;
      // Being opened right now: written next time (the record would stop short of it); a
      // message that stays unopened does not hold the record back for long, though.
      const deferred = this.deferred.get(id) ?? 0;
      if (deferred < MAX_DEFERRALS && t.messages.some((m) => m.content.kind === 'pending' && m.position !== null)) {
        this.deferred.set(id, deferred + 1);
        unvouched.add(id);
        continue;
      }
      this.deferred.delete(id);
      const body = encodeBytes(recordBody(t, this.signerOf)) as Record<string, unknown>;
      const json = JSON.stringify(body);
      if (this.written.get(id)?.json !== json) {
        const sealed = await sealJson(this.userKey, convAad(this.userId, id), { ...body, seq });
        if (!this.live()) return;
        await idbSet(convKey(this.userId, id), sealed);
        this.written.set(id, { json, seq });
      }
      this.seen.set(id, t);
    }
    if (unvouched.size) this.schedule();
    const gone = new Set([...this.written.keys()].filter((id) => !kept.has(id)));
    if (!this.pruned) {
      this.pruned = true;
      for (const k of await idbKeys(prefix(this.userId))) {
        const id = k.slice(prefix(this.userId).length);
        if (k !== listKey(this.userId) && !kept.has(id)) gone.add(id);
      }
    }
    for (const id of gone) {
      if (!this.live()) return;
      await idbDelete(convKey(this.userId, id));
      this.written.delete(id);
      this.seen.delete(id);
    }
    const written = Object.fromEntries([...this.written].filter(([id]) => !unvouched.has(id)).map(([id, w]) => [id, w.seq]));
    const sealed = await sealJson(this.userKey, listAad(this.userId), { v: 1, seq, conversations, written } satisfies ListRecord);
    if (this.live()) await idbSet(listKey(this.userId), sealed);
  }
}
