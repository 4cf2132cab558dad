//! The messenger controller: owns the view state, the event stream and the contact book, and
//! applies events and history to the state. Screens read the state and call the actions.

import { PinStore, type AccountKeys } from '@/lib/crypto';
import type { TokenManager } from '@/lib/api/tokens';
import type { UserRef } from '@/lib/api/types';
import { decodeEvent, type CourierEvent, type MessageObject as WireMessage } from '@/lib/events/decode';
import { EventStream, type StreamEvent } from '@/lib/events/event-stream';
import { getConversation } from '@/features/conversations/api/get-conversation';
import { listConversations } from '@/features/conversations/api/list-conversations';
import { listMessages } from '@/features/messages/api/list-messages';
import { postReceipt } from '@/features/messages/api/post-receipt';
import { getPresence } from '@/features/presence/api/get-presence';
import { describeError } from '@/lib/api/errors';
import { ContactBook } from './contacts';
import { decryptWire, placeholder } from './ingest';
import { loadActiveConversation, loadLastEventId, saveActiveConversation, saveLastEventId } from './persist';
import { acknowledgeable, applyReceipt, loadReceipts, receiptTarget, saveReceipts } from './receipts';
import { Store } from './store';
import { emptyView, mergeMessages, patchMessage, updateView } from './timeline';
import type { ChatMessage, MessengerState } from './types';

const PAGE = 50;
const TYPING_MS = 6_000;

export class Messenger {
  readonly store: Store<MessengerState>;
  readonly contacts: ContactBook;
  private stream: EventStream;
  private deliveredPosted = new Map<string, number>();
  private deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private tombstones = new Set<string>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private stopped = false;

  constructor(
    readonly me: UserRef,
    readonly keys: AccountKeys,
    readonly myFingerprint: string,
    tokens: TokenManager,
  ) {
    this.store = new Store<MessengerState>({
      me,
      conversations: {},
      listLoaded: false,
      activeId: loadActiveConversation(me.id),
      online: {},
      contacts: {},
      receipts: loadReceipts(me.id),
      connection: 'connecting',
      notice: null,
    });
    this.contacts = new ContactBook(new PinStore(localStorage, me.id), this.store, me, keys);
    this.stream = new EventStream({
      getToken: () => tokens.getAccessToken(),
      refresh: () => tokens.refresh(),
      loadLastId: () => loadLastEventId(me.id),
      saveLastId: (id) => saveLastEventId(me.id, id),
      onEvent: (e) => this.onEvent(e),
      onStatus: (connection) => {
        this.store.set((s) => ({ ...s, connection }));
        if (connection === 'live') void this.loadPresence();
      },
    });
    tokens.onToken(() => {
      if (this.store.get().connection !== 'live') this.stream.reconnectNow();
    });
  }

  start(): void {
    this.stream.start();
    void this.loadConversations();
    void this.loadPresence();
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('focus', this.onVisibility);
    this.timers.push(setInterval(() => this.expireTyping(), 1_000));
  }

  stop(): void {
    this.stopped = true;
    this.stream.stop();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('focus', this.onVisibility);
    this.timers.forEach(clearInterval);
    this.deliveredTimers.forEach(clearTimeout);
  }

  notify(kind: 'error' | 'info', text: string | null): void {
    this.store.set((s) => ({ ...s, notice: text ? { kind, text } : null }));
  }

  // ---- loading -------------------------------------------------------------------------

  async loadConversations(): Promise<void> {
    try {
      const list = await listConversations();
      this.store.set((s) => {
        const conversations = { ...s.conversations };
        for (const c of list) conversations[c.id] = conversations[c.id] ? { ...conversations[c.id], conv: c } : emptyView(c);
        const activeId = s.activeId && conversations[s.activeId] ? s.activeId : null;
        return { ...s, conversations, listLoaded: true, activeId };
      });
      const ids = new Set(list.flatMap((c) => c.members.map((m) => m.id)));
      void this.checkContacts([...ids]);
      const active = this.store.get().activeId;
      if (active) void this.open(active);
      void this.loadPresence();
      // Previews (and delivered receipts) for the most recent conversations.
      for (const c of list.slice(0, 30)) if (c.last_position && c.id !== active) void this.loadPreview(c.id);
    } catch (e) {
      this.store.set((s) => ({ ...s, listLoaded: true }));
      this.notify('error', describeError(e));
    }
  }

  private async checkContacts(ids: string[]): Promise<void> {
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
      const ids = await getPresence();
      this.store.set((s) => ({ ...s, online: Object.fromEntries(ids.map((id) => [id, true])) }));
    } catch {
      /* presence is best effort */
    }
  }

  async open(convId: string | null): Promise<void> {
    saveActiveConversation(this.me.id, convId);
    this.store.set((s) => ({ ...s, activeId: convId }));
    if (!convId) return;
    const view = this.store.get().conversations[convId];
    if (!view) return;
    void Promise.all(view.conv.members.map((m) => this.contacts.refresh(m.id, 30_000)));
    if (!view.loaded) {
      try {
        const page = await listMessages(convId, { limit: PAGE });
        this.store.set((s) => updateView(s, convId, (v) => ({ ...v, loaded: true, hasOlder: page.length >= PAGE })));
        await this.ingest(page, 'history');
      } catch (e) {
        this.notify('error', describeError(e));
      }
    }
    this.markRead(convId);
  }

  async loadOlder(convId: string): Promise<void> {
    const view = this.store.get().conversations[convId];
    if (!view || view.loadingOlder || !view.hasOlder) return;
    const oldest = view.messages.find((m) => m.position !== null)?.position;
    if (oldest === undefined) return;
    this.store.set((s) => updateView(s, convId, (v) => ({ ...v, loadingOlder: true })));
    try {
      const page = await listMessages(convId, { before: oldest ?? undefined, limit: PAGE });
      await this.ingest(page, 'history');
      this.store.set((s) => updateView(s, convId, (v) => ({ ...v, loadingOlder: false, hasOlder: page.length >= PAGE })));
    } catch (e) {
      this.store.set((s) => updateView(s, convId, (v) => ({ ...v, loadingOlder: false })));
      this.notify('error', describeError(e));
    }
  }

  // ---- messages -------------------------------------------------------------------------

  /** Adds wire messages (deduplicated), then decrypts them and fills in their content. */
  async ingest(wires: WireMessage[], source: 'history' | 'live'): Promise<void> {
    if (wires.length === 0) return;
    const convId = wires[0].conversation_id;
    if (!this.store.get().conversations[convId]) await this.ensureConversation(convId);
    const fresh = wires.map((w) => (this.tombstones.has(w.message_id) ? { ...w, deleted: true } : w));
    const known = new Set(this.store.get().conversations[convId]?.messages.map((m) => m.id));
    this.store.set((s) =>
      updateView(s, convId, (v) => {
        const msgs = fresh.map(placeholder);
        const messages = v.loaded || source === 'live' ? mergeMessages(v.messages, msgs) : v.messages;
        const newest = msgs[msgs.length - 1];
        const preview = !v.preview || (newest.position ?? 0) >= (v.preview.position ?? 0) ? (messages.find((m) => m.id === newest.id) ?? newest) : v.preview;
        let conv = v.conv;
        if (source === 'live') {
          const lastPos = conv.last_position ?? 0;
          const newOnes = msgs.filter((m) => (m.position ?? 0) > lastPos && m.senderId !== this.me.id && !known.has(m.id));
          conv = {
            ...conv,
            last_position: Math.max(lastPos, ...msgs.map((m) => m.position ?? 0)),
            last_activity_at: new Date(Math.max(Date.parse(conv.last_activity_at) || 0, newest.sentAt)).toISOString(),
            unread_count: (conv.unread_count ?? 0) + newOnes.length,
          };
        }
        return { ...v, conv, messages, preview };
      }),
    );
    const results = await Promise.all(fresh.map((w) => decryptWire(w, { id: this.me.id, keys: this.keys }, this.contacts)));
    this.store.set((s) => {
      let next = s;
      fresh.forEach((w, i) => {
        const cur = next.conversations[convId]?.messages.find((m) => m.id === w.message_id);
        if (cur && cur.content.kind === 'text' && results[i].content.kind !== 'deleted') return; // own sent text
        next = patchMessage(next, convId, w.message_id, { content: results[i].content, sentAt: results[i].sentAt });
      });
      return next;
    });
    const failedSenders = new Set(fresh.filter((_, i) => results[i].content.kind === 'unverified').map((w) => w.sender_id));
    for (const id of failedSenders) void this.contacts.refresh(id, 10_000); // a key change would explain it
    // Only what verified is acknowledged (see receipts.ts).
    if (fresh.some((w, i) => w.sender_id !== this.me.id && acknowledgeable(results[i]))) this.scheduleDelivered(convId);
    this.markRead(convId);
  }

  /** Re-opens messages that failed to verify (after a key change is accepted). */
  async reverify(senderId: string): Promise<void> {
    for (const v of Object.values(this.store.get().conversations)) {
      const wires = v.messages.filter((m) => m.senderId === senderId && m.content.kind === 'unverified' && m.wire).map((m) => m.wire!);
      if (!wires.length) continue;
      const results = await Promise.all(wires.map((w) => decryptWire(w, { id: this.me.id, keys: this.keys }, this.contacts)));
      this.store.set((s) => wires.reduce((acc, w, i) => patchMessage(acc, v.conv.id, w.message_id, results[i]), s));
    }
  }

  localMessage(convId: string, msg: ChatMessage): void {
    this.store.set((s) => updateView(s, convId, (v) => ({ ...v, messages: mergeMessages(v.messages, [msg]), preview: msg })));
  }

  markDeleted(convId: string, messageId: string): void {
    this.tombstones.add(messageId);
    this.store.set((s) => patchMessage(s, convId, messageId, { content: { kind: 'deleted' }, wire: undefined, envelope: undefined }));
  }

  // ---- receipts -------------------------------------------------------------------------

  private scheduleDelivered(convId: string): void {
    if (this.deliveredTimers.has(convId)) return;
    this.deliveredTimers.set(convId, setTimeout(() => {
      this.deliveredTimers.delete(convId);
      const view = this.store.get().conversations[convId];
      const newest = view && receiptTarget(view, this.me.id);
      if (!newest || newest.position === null) return;
      if ((this.deliveredPosted.get(convId) ?? 0) >= newest.position) return;
      this.deliveredPosted.set(convId, newest.position);
      postReceipt(convId, 'delivered', newest.id).catch(() => this.deliveredPosted.delete(convId));
    }, 300));
  }

  private onVisibility = (): void => {
    const id = this.store.get().activeId;
    if (id) this.markRead(id);
  };

  /** Posts "read" when the conversation is open and the page is visible. */
  markRead(convId: string): void {
    const s = this.store.get();
    if (s.activeId !== convId || document.visibilityState !== 'visible') return;
    const view = s.conversations[convId];
    if (!view) return;
    const newest = receiptTarget(view, this.me.id);
    const readUpTo = view.conv.read_up_to ?? 0;
    if (newest && newest.position !== null && newest.position > readUpTo) {
      const pos = newest.position;
      this.store.set((st) => updateView(st, convId, (v) => ({ ...v, conv: { ...v.conv, read_up_to: pos, unread_count: 0 } })));
      postReceipt(convId, 'read', newest.id).catch(() =>
        this.store.set((st) => updateView(st, convId, (v) => ({ ...v, conv: { ...v.conv, read_up_to: readUpTo } }))),
      );
    } else if (view.conv.unread_count) {
      this.store.set((st) => updateView(st, convId, (v) => ({ ...v, conv: { ...v.conv, unread_count: 0 } })));
    }
  }

  // ---- events ---------------------------------------------------------------------------

  private async onEvent(raw: StreamEvent): Promise<void> {
    if (this.stopped) return;
    const d = decodeEvent(raw.type, raw.data);
    if (!d.ok) {
      console.warn(`ignoring a malformed ${raw.type} event: ${d.reason}`);
      return;
    }
    const e = d.value;
    switch (e.type) {
      case 'message':
        this.clearTyping(e.message.conversation_id, e.message.sender_id);
        return this.ingest([e.message], 'live');
      case 'message_deleted':
        return this.markDeleted(e.conversationId, e.messageId);
      case 'receipt':
        return this.onReceipt(e);
      case 'conversation':
        return this.onConversation(e);
      case 'typing': {
        if (e.userId === this.me.id) return;
        this.store.set((s) => updateView(s, e.conversationId, (v) => ({ ...v, typing: { ...v.typing, [e.userId]: Date.now() + TYPING_MS } })));
        return;
      }
      case 'presence':
        this.store.set((s) => ({ ...s, online: { ...s.online, [e.userId]: e.online } }));
        return;
    }
  }

  private onReceipt(r: Extract<CourierEvent, { type: 'receipt' }>): void {
    this.store.set((s) => {
      const receipts = applyReceipt(s.receipts, r.conversationId, r.userId, r.status, r.position);
      let next = receipts === s.receipts ? s : { ...s, receipts };
      if (r.userId === this.me.id && r.status === 'read') {
        next = updateView(next, r.conversationId, (v) => {
          if ((v.conv.read_up_to ?? 0) >= r.position) return v;
          const unread = r.position >= (v.conv.last_position ?? 0) ? 0 : v.conv.unread_count;
          return { ...v, conv: { ...v.conv, read_up_to: r.position, unread_count: unread } };
        });
      }
      return next;
    });
    saveReceipts(this.me.id, this.store.get().receipts);
  }

  private onConversation(ev: Extract<CourierEvent, { type: 'conversation' }>): void {
    const conv = ev.conversation;
    if (!conv || (ev.change === 'member_removed' && ev.userId === this.me.id)) {
      this.store.set((s) => {
        const { [ev.conversationId]: _gone, ...rest } = s.conversations;
        return { ...s, conversations: rest, activeId: s.activeId === ev.conversationId ? null : s.activeId };
      });
      return;
    }
    this.store.set((s) => ({
      ...s,
      conversations: {
        ...s.conversations,
        [conv.id]: s.conversations[conv.id] ? { ...s.conversations[conv.id], conv } : emptyView(conv),
      },
    }));
    void this.checkContacts(conv.members.map((m) => m.id));
    // Presence is only shared between people with a conversation in common: ask again.
    void this.loadPresence();
  }

  async ensureConversation(id: string): Promise<void> {
    if (this.store.get().conversations[id]) return;
    try {
      const conv = await getConversation(id);
      this.store.set((s) => (s.conversations[id] ? s : { ...s, conversations: { ...s.conversations, [id]: emptyView(conv) } }));
      void this.checkContacts(conv.members.map((m) => m.id));
    } catch {
      /* not a member (any more) */
    }
  }

  private clearTyping(convId: string, userId: string): void {
    this.store.set((s) =>
      updateView(s, convId, (v) => {
        if (!(userId in v.typing)) return v;
        const { [userId]: _t, ...typing } = v.typing;
        return { ...v, typing };
      }),
    );
  }

  private expireTyping(): void {
    const now = Date.now();
    for (const v of Object.values(this.store.get().conversations)) {
      for (const [user, until] of Object.entries(v.typing)) if (until < now) this.clearTyping(v.conv.id, user);
    }
  }
}
