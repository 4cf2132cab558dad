//! Pure helpers over a conversation's message list: ordered by server position (messages not
//! yet stored last, in send order), deduplicated by message id.
import type { Conversation } from '@/lib/api/types';
import type { ChatMessage, ConversationView, MessengerState } from './types';

function order(a: ChatMessage, b: ChatMessage): number {
  if (a.position !== null && b.position !== null) return a.position - b.position;
  if (a.position === null && b.position === null) return a.sentAt - b.sentAt;
  return a.position === null ? 1 : -1;
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

export function newestFrom(view: ConversationView, pred: (m: ChatMessage) => boolean): ChatMessage | null {
  for (let i = view.messages.length - 1; i >= 0; i--) {
    const m = view.messages[i];
    if (m.position !== null && pred(m)) return m;
  }
  return null;
}

export function emptyView(conv: Conversation): ConversationView {
  return { conv, messages: [], loaded: false, hasOlder: true, loadingOlder: false, typing: {}, preview: null };
}

export function updateView(s: MessengerState, id: string, fn: (v: ConversationView) => ConversationView): MessengerState {
  const v = s.conversations[id];
  if (!v) return s;
  const next = fn(v);
  return next === v ? s : { ...s, conversations: { ...s.conversations, [id]: next } };
}

export function patchMessage(s: MessengerState, convId: string, msgId: string, patch: Partial<ChatMessage>): MessengerState {
  return updateView(s, convId, (v) => {
    const messages = v.messages.map((m) => (m.id === msgId ? { ...m, ...patch } : m));
    const preview = v.preview?.id === msgId ? { ...v.preview, ...patch } : v.preview;
    return { ...v, messages: messages.sort(order), preview };
  });
}

/** Conversations newest activity first. */
export function sortedConversations(s: MessengerState): ConversationView[] {
  return Object.values(s.conversations).sort((a, b) => activity(b) - activity(a));
}

function activity(v: ConversationView): number {
  const t = Date.parse(v.conv.last_activity_at || v.conv.created_at);
  const last = v.preview?.sentAt ?? 0;
  return Math.max(Number.isNaN(t) ? 0 : t, last);
}
