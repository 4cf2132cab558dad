//! Slice `timelines`: each conversation's messages, ordered by server position (messages not yet
//! stored last, in send order), deduplicated by message id, plus paging state and the preview.
//! Pure: no I/O, no crypto, no timers.
import type { MessageObject } from '@/lib/events/decode';
import type { MessengerEvent, RestoredTimeline } from './events';
import type { ChatMessage, MessengerState, Timeline } from './types';

export function emptyTimeline(): Timeline {
  return { messages: [], loaded: false, hasOlder: true, loadingOlder: false, preview: null };
}

function order(a: ChatMessage, b: ChatMessage): number {
  if (a.position !== null && b.position !== null) return a.position - b.position;
  if (a.position === null && b.position === null) return a.sentAt - b.sentAt;
  return a.position === null ? 1 : -1;
}

/** A received message before it is opened: "pending" (or deleted). */
export function placeholder(w: MessageObject): ChatMessage {
  return {
    id: w.message_id,
    conversationId: w.conversation_id,
    senderId: w.sender_id,
    position: w.position,
    sentAt: w.server_ts,
    local: 'stored',
    content: w.deleted ? { kind: 'deleted' } : { kind: 'pending' },
    wire: w.deleted ? undefined : w,
  };
}

/** Merges messages in; an existing entry is only patched (position, content), never duplicated. */
export function mergeMessages(list: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) {
    const old = byId.get(m.id);
    if (!old) {
      byId.set(m.id, m);
      continue;
    }
    if (old.content.kind === 'deleted') continue;
    const keepContent = old.content.kind === 'text' && m.content.kind === 'pending';
    byId.set(m.id, {
      ...old,
      position: m.position ?? old.position,
      local: m.local === 'stored' ? 'stored' : old.local,
      content: keepContent ? old.content : m.content.kind === 'pending' ? old.content : m.content,
      wire: m.wire ?? old.wire,
      sentAt: old.local !== 'stored' ? old.sentAt : m.sentAt,
    });
  }
  return [...byId.values()].sort(order);
}

export function newestFrom(t: Timeline, pred: (m: ChatMessage) => boolean): ChatMessage | null {
  for (let i = t.messages.length - 1; i >= 0; i--) {
    const m = t.messages[i];
    if (m.position !== null && pred(m)) return m;
  }
  return null;
}

function patchIn(t: Timeline, msgId: string, patch: Partial<ChatMessage>): Timeline {
  const messages = t.messages.map((m) => (m.id === msgId ? { ...m, ...patch } : m));
  const preview = t.preview?.id === msgId ? { ...t.preview, ...patch } : t.preview;
  return { ...t, messages: messages.sort(order), preview };
}

function arrived(t: Timeline, wires: MessageObject[], source: 'history' | 'live'): Timeline {
  if (wires.length === 0) return t;
  const msgs = wires.map(placeholder);
  const messages = t.loaded || source === 'live' ? mergeMessages(t.messages, msgs) : t.messages;
  const newest = msgs[msgs.length - 1];
  const preview = !t.preview || (newest.position ?? 0) >= (t.preview.position ?? 0) ? (messages.find((m) => m.id === newest.id) ?? newest) : t.preview;
  return { ...t, messages, preview };
}

/** The cache's messages under what is already here; a timeline the network already loaded wins. */
function restore(all: Record<string, Timeline>, cached: Record<string, RestoredTimeline>): Record<string, Timeline> {
  const out = { ...all };
  for (const [id, r] of Object.entries(cached)) {
    const t = out[id] ?? emptyTimeline();
    if (t.loaded) continue;
    const messages = mergeMessages(r.messages, t.messages);
    const preview = t.preview && r.preview && (t.preview.position ?? 0) >= (r.preview.position ?? 0) ? t.preview : (r.preview ?? t.preview);
    out[id] = { ...t, messages, loaded: r.loaded, hasOlder: r.hasOlder, preview, restored: true };
  }
  return out;
}

function without(all: Record<string, Timeline>, id: string): Record<string, Timeline> {
  if (!(id in all)) return all;
  const { [id]: _gone, ...rest } = all;
  return rest;
}

function ensure(all: Record<string, Timeline>, ids: string[]): Record<string, Timeline> {
  const missing = ids.filter((id) => !(id in all));
  if (!missing.length) return all;
  return { ...all, ...Object.fromEntries(missing.map((id) => [id, emptyTimeline()])) };
}

export function applyTimelines(all: Record<string, Timeline>, e: MessengerEvent, root: MessengerState): Record<string, Timeline> {
  const update = (id: string, fn: (t: Timeline) => Timeline) => {
    const t = all[id];
    if (!t) return all;
    const next = fn(t);
    return next === t ? all : { ...all, [id]: next };
  };
  switch (e.type) {
    case 'conversations/listed':
      return ensure(all, e.list.map((c) => c.id));
    case 'conversation/upserted':
      return ensure(all, [e.conversation.id]);
    case 'conversation/removed':
      return without(all, e.conversationId);
    case 'history/loaded':
      return update(e.conversationId, (t) => ({ ...t, loaded: true, hasOlder: e.hasOlder, restored: false }));
    case 'history/restored':
      return restore(ensure(all, e.conversations.map((c) => c.id)), e.timelines);
    case 'history/loading-older':
      return update(e.conversationId, (t) => ({ ...t, loadingOlder: true }));
    case 'history/older-done':
      return update(e.conversationId, (t) => ({ ...t, loadingOlder: false, hasOlder: e.hasOlder ?? t.hasOlder }));
    case 'messages/arrived':
      return update(e.conversationId, (t) => arrived(t, e.wires, e.source));
    case 'messages/opened':
      return update(e.conversationId, (t) =>
        e.opened.reduce((acc, o) => {
          const cur = acc.messages.find((m) => m.id === o.messageId);
          if (cur && cur.content.kind === 'text' && o.content.kind !== 'deleted') return acc; // own sent text
          // A verified batch's envelope is not needed again (its points live in the chart's window).
          const drop = o.content.kind === 'series' ? { wire: undefined } : {};
          return patchIn(acc, o.messageId, { content: o.content, sentAt: o.sentAt, ...drop });
        }, t),
      );
    case 'message/local':
      return update(e.message.conversationId, (t) => ({ ...t, messages: mergeMessages(t.messages, [e.message]), preview: e.message }));
    case 'message/patched':
      return update(e.conversationId, (t) => patchIn(t, e.messageId, e.patch));
    case 'message/deleted':
      return update(e.conversationId, (t) => patchIn(t, e.messageId, { content: { kind: 'deleted' }, wire: undefined, envelope: undefined }));
    case 'message/dropped':
      return update(e.conversationId, (t) => {
        if (!t.messages.some((m) => m.id === e.messageId)) return t;
        const messages = t.messages.filter((m) => m.id !== e.messageId);
        const preview = t.preview?.id === e.messageId ? (messages.at(-1) ?? null) : t.preview;
        return { ...t, messages, preview };
      });
    case 'stream': {
      const ev = e.event;
      if (ev.type === 'message_deleted') {
        return update(ev.conversationId, (t) => patchIn(t, ev.messageId, { content: { kind: 'deleted' }, wire: undefined, envelope: undefined }));
      }
      if (ev.type === 'conversation') {
        const removed = !ev.conversation || (ev.change === 'member_removed' && ev.userId === root.me.id);
        if (removed) return without(all, ev.conversationId);
        const next = ensure(all, [ev.conversationId]);
        const subject = ev.userId;
        // Our own arrival is told by the membership notice at the top (membership.ts).
        if (ev.change === 'created' || !subject || subject === root.me.id) return next;
        const change = ev.change;
        const t = next[ev.conversationId];
        const notes = t.memberNotes ?? [];
        const note = { key: `${change}:${subject}:${notes.length}`, afterId: t.messages.at(-1)?.id ?? null, change, subject, by: ev.by };
        return { ...next, [ev.conversationId]: { ...t, memberNotes: [...notes, note] } };
      }
      return all;
    }
    default:
      return all;
  }
}
