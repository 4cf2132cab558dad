//! The messenger's effects runner: owns the store, the event stream, the contact book and the
//! effects (loading, opening messages, receipts, typing). Every state change is an event
//! dispatched to the pure model; stream events pass the one guarded decoder first.

import { PinStore, type AccountKeys } from '@/lib/crypto';
import { describeError } from '@/lib/api/errors';
import type { TokenManager } from '@/lib/api/tokens';
import type { UserRef } from '@/lib/api/types';
import { decodeEvent, type MessageObject } from '@/lib/events/decode';
import { EventStream, type StreamEvent } from '@/lib/events/event-stream';
import type { SeriesBatch } from '@/lib/series/batch';
import { getConversation, listConversations } from '@/features/conversations';
import { listMessages } from '@/features/messages';
import { getPresence } from '@/features/presence';
import { acknowledgeable, claimsSeries, initialState, isSeriesContent, type ChatMessage, type Opened } from './model';
import { AttachmentEffects } from './effects/attachments';
import { AttentionEffects } from './effects/attention';
import { ContactBook } from './effects/contacts';
import { DraftEffects } from './effects/drafts';
import { HistoryCache, openedBefore, previewStale } from './effects/history-cache';
import { decryptWire } from './effects/ingest';
import { loadActiveConversation, loadLastEventId, loadReceipts, saveActiveConversation, saveLastEventId, saveReceipts } from './effects/persist';
import { messengerDeps, OutboxEffects } from './effects/outbox';
import { loadPrefs, savePrefs } from './effects/prefs';
import { ReceiptEffects } from './effects/receipts';
import { TypingEffects } from './effects/typing';
import { MessengerStore } from './store';

const PAGE = 50;

/** A telemetry batch of a conversation, opened: its points, or refused (`batch` null, `reason`). */
export interface SeriesArrival {
  messageId: string;
  senderId: string;
  position: number;
  serverTs: number;
  batch: SeriesBatch | null;
  reason?: string;
}

export type SeriesListener = (conversationId: string, arrivals: SeriesArrival[]) => void;

function seriesArrivals(wires: MessageObject[], results: Awaited<ReturnType<typeof decryptWire>>[]): SeriesArrival[] {
  return wires.flatMap((w, i) => {
    const { content, batch } = results[i];
    if (content.kind !== 'series' && content.kind !== 'series-refused') return [];
    const base = { messageId: w.message_id, senderId: w.sender_id, position: w.position, serverTs: w.server_ts };
    return [content.kind === 'series' && batch ? { ...base, batch } : { ...base, batch: null, reason: content.kind === 'series-refused' ? content.reason : 'unreadable' }];
  });
}

export class Messenger {
  readonly store: MessengerStore;
  readonly contacts: ContactBook;
  readonly receipts: ReceiptEffects;
  readonly typing: TypingEffects;
  readonly drafts: DraftEffects;
  readonly attention: AttentionEffects;
  readonly attachments: AttachmentEffects;
  readonly history: HistoryCache;
  readonly outbox: OutboxEffects;
  private stream: EventStream;
  private tombstones = new Set<string>();
  private stopped = false;
  private resumeFrom: number | null = null;
  private unsubscribe: (() => void) | null = null;
  private seriesListeners = new Set<SeriesListener>();
  /** Events up to this seq were handled by an earlier page (replayed for the history cache). */
  private replayedUpTo = 0;

  constructor(
    readonly me: UserRef,
    readonly keys: AccountKeys,
    readonly myFingerprint: string,
    tokens: TokenManager,
  ) {
    this.store = new MessengerStore(initialState(me, loadActiveConversation(me.id), loadReceipts(me.id), loadPrefs(me.id)));
    this.contacts = new ContactBook(new PinStore(localStorage, me.id), this.store, me, keys);
    this.receipts = new ReceiptEffects(this.store, me.id);
    this.typing = new TypingEffects(this.store);
    this.drafts = new DraftEffects(this.store, me.id, keys.userKey);
    this.attention = new AttentionEffects(this.store, (id) => void this.open(id));
    this.attachments = new AttachmentEffects(this.store);
    this.history = new HistoryCache(this.store, me.id, keys.userKey, (id) => (id === me.id ? myFingerprint : (this.contacts.pins.get(id)?.fingerprint ?? null)));
    this.outbox = new OutboxEffects(this.store, me.id, keys.userKey, messengerDeps(this));
    this.stream = new EventStream({
      getToken: () => tokens.getAccessToken(),
      refresh: () => tokens.refresh(),
      loadLastId: () => this.resumeFrom,
      saveLastId: (id) => {
        saveLastEventId(me.id, id);
        this.history.processed(id);
      },
      onEvent: (e) => this.onEvent(e),
      onStatus: (status) => {
        this.store.dispatch({ type: 'connection', status });
        if (status === 'live') void this.loadPresence();
      },
    });
    tokens.onToken(() => {
      if (this.store.get().connection !== 'live') this.stream.reconnectNow();
    });
  }

  start(): void {
    let { receipts, prefs } = this.store.get();
    this.unsubscribe = this.store.subscribe(() => {
      const next = this.store.get();
      if (next.receipts !== receipts) saveReceipts(this.me.id, (receipts = next.receipts));
      if (next.prefs !== prefs) savePrefs(this.me.id, (prefs = next.prefs));
    });
    this.attention.start();
    // The history cache first (a few ms): what it shows is then synced by the stream, which
    // resumes from the cache's seq when that is older than the saved one (history-cache.ts).
    // The outbox after it, so its queued messages join the restored timelines.
    const saved = loadLastEventId(this.me.id);
    this.replayedUpTo = saved ?? 0;
    void this.history.restore(saved).then((from) => {
      if (this.stopped) return;
      this.resumeFrom = from;
      this.history.start();
      this.outbox.start();
      this.stream.start();
      void this.loadConversations();
      void this.loadPresence();
    });
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('focus', this.onVisibility);
    this.typing.start();
  }

  stop(): void {
    this.stopped = true;
    this.stream.stop();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('focus', this.onVisibility);
    this.typing.stop();
    this.receipts.stop();
    this.attention.stop();
    this.attachments.stop();
    this.history.stop();
    this.outbox.stop();
    this.unsubscribe?.();
  }

  /** Mute or unmute a conversation on this device: no notification, not counted in the title. */
  mute(convId: string, muted: boolean): void {
    this.store.dispatch({ type: 'conversation/muted', conversationId: convId, muted });
  }

  /** Hide (or show) sender and content in desktop notifications, or turn them off. */
  setNotificationPrefs(change: { notify?: boolean; hideContent?: boolean }): void {
    this.store.dispatch({ type: 'prefs/changed', prefs: { ...this.store.get().prefs, ...change } });
  }

  notify(kind: 'error' | 'info', text: string | null): void {
    this.store.dispatch({ type: 'notice', notice: text ? { kind, text } : null });
  }

  // ---- loading -------------------------------------------------------------------------

  async loadConversations(): Promise<void> {
    try {
      const list = await listConversations();
      this.store.dispatch({ type: 'conversations/listed', list });
      this.history.reconcile(list);
      void this.checkContacts([...new Set(list.flatMap((c) => c.members.map((m) => m.id)))]);
      const active = this.store.get().conversations.activeId;
      if (active) void this.open(active);
      void this.loadPresence();
      // Previews (and delivered receipts) for the most recent conversations, unless the cache had it.
      const timelines = this.store.get().timelines;
      for (const c of list.slice(0, 30)) if (c.id !== active && previewStale(timelines[c.id], c)) void this.loadPreview(c.id);
    } catch (e) {
      this.store.dispatch({ type: 'conversations/list-failed' });
      this.notify('error', describeError(e));
    }
  }

  async checkContacts(ids: string[]): Promise<void> {
    const queue = ids.filter((id) => id !== this.me.id);
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await this.contacts.refresh(id);
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  private async loadPreview(convId: string): Promise<void> {
    const page = await listMessages(convId, { limit: 1 }).catch(() => []);
    await this.ingest(page, 'history');
  }

  async loadPresence(): Promise<void> {
    try {
      this.store.dispatch({ type: 'presence/loaded', online: await getPresence() });
    } catch {
      /* presence is best effort */
    }
  }

  async open(convId: string | null): Promise<void> {
    saveActiveConversation(this.me.id, convId);
    this.store.dispatch({ type: 'conversation/opened', conversationId: convId });
    if (!convId) return;
    const s = this.store.get();
    const conv = s.conversations.byId[convId];
    const timeline = s.timelines[convId];
    if (!conv || !timeline) return;
    void Promise.all(conv.members.map((m) => this.contacts.refresh(m.id, 30_000)));
    // A chat restored from the cache still fetches its newest page: only what is new is opened.
    if (!timeline.loaded || timeline.restored) {
      try {
        const page = await listMessages(convId, { limit: PAGE });
        this.store.dispatch({ type: 'history/loaded', conversationId: convId, hasOlder: page.length >= PAGE });
        await this.ingest(page, 'history');
      } catch (e) {
        this.notify('error', describeError(e));
      }
    }
    this.receipts.markRead(convId);
  }

  async loadOlder(convId: string): Promise<void> {
    const t = this.store.get().timelines[convId];
    if (!t || t.loadingOlder || !t.hasOlder) return;
    const oldest = t.messages.find((m) => m.position !== null)?.position;
    if (oldest === undefined || oldest === null) return;
    this.store.dispatch({ type: 'history/loading-older', conversationId: convId });
    try {
      const page = await listMessages(convId, { before: oldest, limit: PAGE });
      await this.ingest(page, 'history');
      this.store.dispatch({ type: 'history/older-done', conversationId: convId, hasOlder: page.length >= PAGE });
    } catch (e) {
      this.store.dispatch({ type: 'history/older-done', conversationId: convId, hasOlder: null });
      this.notify('error', describeError(e));
    }
  }

  /** The caller's view of a conversation again (unread count, read position) from the server. */
  private async refreshConversation(id: string): Promise<void> {
    try {
      const conv = await getConversation(id);
      if (this.store.get().conversations.byId[id]) this.store.dispatch({ type: 'conversation/upserted', conversation: conv });
    } catch {
      /* offline or no longer a member: the next list load corrects it */
    }
  }

  async ensureConversation(id: string): Promise<void> {
    if (this.store.get().conversations.byId[id]) return;
    try {
      const conv = await getConversation(id);
      if (this.store.get().conversations.byId[id]) return;
      this.store.dispatch({ type: 'conversation/upserted', conversation: conv });
      void this.checkContacts(conv.members.map((m) => m.id));
    } catch {
      /* not a member (any more) */
    }
  }

  // ---- messages -------------------------------------------------------------------------

  /**
   * Adds message objects (deduplicated), then opens them and reports what they hold. A message
   * already opened here (e.g. from the history cache) keeps its content and is not decrypted
   * again. `notify` false: replayed events an earlier page already told the user about.
   */
  async ingest(wires: MessageObject[], source: 'history' | 'live', notify = true): Promise<void> {
    if (wires.length === 0) return;
    const convId = wires[0].conversation_id;
    await this.ensureConversation(convId);
    const fresh = wires.map((w) => (this.tombstones.has(w.message_id) ? { ...w, deleted: true } : w));
    const known = fresh.map((w) => openedBefore(this.store.get().timelines[convId], w));
    const toOpen = fresh.filter((_, i) => !known[i]);
    this.store.dispatch({ type: 'messages/arrived', conversationId: convId, wires: fresh, source });
    const decrypted = await Promise.all(toOpen.map((w) => decryptWire(w, { id: this.me.id, keys: this.keys }, this.contacts)));
    const byId = new Map(toOpen.map((w, i) => [w.message_id, decrypted[i]]));
    const results = fresh.map((w, i) => byId.get(w.message_id) ?? { content: known[i]!.content, sentAt: known[i]!.sentAt });
    const opened: Opened[] = fresh.map((w, i) => ({ messageId: w.message_id, content: results[i].content, sentAt: results[i].sentAt }));
    this.history.verified(toOpen.filter((w) => acknowledgeable(byId.get(w.message_id)!)).map((w) => ({ messageId: w.message_id, senderId: w.sender_id })));
    this.store.dispatch({ type: 'messages/opened', conversationId: convId, opened });
    this.emitSeries(convId, seriesArrivals(toOpen, decrypted));
    const failedSenders = new Set(toOpen.filter((_, i) => decrypted[i].content.kind === 'unverified').map((w) => w.sender_id));
    for (const id of failedSenders) void this.contacts.refresh(id, 10_000); // a key change would explain it
    // Only what verified is acknowledged (see model/receipts.ts). Telemetry batches alone do not
    // prompt a receipt (several a second); the next one for a message covers them.
    if (fresh.some((w, i) => w.sender_id !== this.me.id && acknowledgeable(results[i]) && !isSeriesContent(results[i].content))) this.receipts.scheduleDelivered(convId);
    this.receipts.markRead(convId);
    if (source === 'live' && notify) {
      const ids = new Set(fresh.map((w) => w.message_id));
      this.attention.arrived((this.store.get().timelines[convId]?.messages ?? []).filter((m) => ids.has(m.id)));
    }
  }

  /** Re-opens messages that failed to verify (after a key change is accepted). */
  async reverify(senderId: string): Promise<void> {
    for (const [convId, t] of Object.entries(this.store.get().timelines)) {
      const failed = (m: ChatMessage) => m.content.kind === 'unverified' || (m.content.kind === 'series-refused' && !m.content.verified);
      const wires = t.messages.flatMap((m) => (m.senderId === senderId && failed(m) && m.wire ? [m.wire] : []));
      if (!wires.length) continue;
      const results = await Promise.all(wires.map((w) => decryptWire(w, { id: this.me.id, keys: this.keys }, this.contacts)));
      this.history.verified(wires.filter((_, i) => acknowledgeable(results[i])).map((w) => ({ messageId: w.message_id, senderId: w.sender_id })));
      this.store.dispatch({ type: 'messages/opened', conversationId: convId, opened: wires.map((w, i) => ({ messageId: w.message_id, content: results[i].content, sentAt: results[i].sentAt })) });
      this.emitSeries(convId, seriesArrivals(wires, results));
    }
  }

  // ---- telemetry series ------------------------------------------------------------------

  /** Telemetry batches as they are opened (live, history pages, re-verification). */
  onSeries(listener: SeriesListener): () => void {
    this.seriesListeners.add(listener);
    return () => this.seriesListeners.delete(listener);
  }

  /**
   * Opens the telemetry batches among `wires` (e.g. a history page by time range) without adding
   * anything to the timeline: for the chart, which keeps its own window of points.
   */
  async openSeries(wires: MessageObject[]): Promise<SeriesArrival[]> {
    // Only what claims to be a batch is opened (the claim is checked when it opens).
    const live = wires.filter((w) => !w.deleted && !this.tombstones.has(w.message_id) && claimsSeries(w));
    const results = await Promise.all(live.map((w) => decryptWire(w, { id: this.me.id, keys: this.keys }, this.contacts)));
    return seriesArrivals(live, results);
  }

  private emitSeries(convId: string, arrivals: SeriesArrival[]): void {
    if (!arrivals.length) return;
    for (const l of this.seriesListeners) l(convId, arrivals);
  }

  markDeleted(convId: string, messageId: string): void {
    this.tombstones.add(messageId);
    this.forgetAttachments(convId, messageId);
    this.store.dispatch({ type: 'message/deleted', conversationId: convId, messageId });
  }

  /** A message going away takes its attachments' plaintext and object URLs with it. */
  forgetAttachments(convId: string, messageId: string): void {
    const m = this.store.get().timelines[convId]?.messages.find((x) => x.id === messageId);
    if (m?.content.kind === 'attachments') this.attachments.forget(m.content.attachments);
  }

  // ---- events ---------------------------------------------------------------------------

  private onVisibility = (): void => {
    const id = this.store.get().conversations.activeId;
    if (id) this.receipts.markRead(id);
  };

  private async onEvent(raw: StreamEvent): Promise<void> {
    if (this.stopped) return;
    const decoded = decodeEvent(raw.type, raw.data);
    if (!decoded.ok) {
      console.warn(`ignoring a malformed ${raw.type} event: ${decoded.reason}`);
      return;
    }
    const e = decoded.value;
    if (e.type === 'ready' || e.type === 'unknown') return;
    let unknownDeleted = false;
    if (e.type === 'message_deleted') {
      this.tombstones.add(e.messageId);
      this.forgetAttachments(e.conversationId, e.messageId);
      unknownDeleted = !this.store.get().timelines[e.conversationId]?.messages.some((m) => m.id === e.messageId);
    }
    this.store.dispatch({ type: 'stream', event: e, now: Date.now() });
    // A message we never loaded was deleted: only the server knows whether it was unread.
    if (unknownDeleted && e.type === 'message_deleted') void this.refreshConversation(e.conversationId);
    switch (e.type) {
      case 'message':
        return this.ingest([e.message], 'live', raw.id === null || raw.id > this.replayedUpTo);
      case 'conversation':
        if (e.conversation && !(e.change === 'member_removed' && e.userId === this.me.id)) {
          void this.checkContacts(e.conversation.members.map((m) => m.id));
          // Presence is only shared between people with a conversation in common: ask again.
          void this.loadPresence();
        }
        return;
      default:
        return;
    }
  }
}
