//! Slice `conversations`: conversation objects (OpenAPI `ConversationView`), whether the list has
//! loaded, and which one is open; unread counts and our read position follow messages and receipts.
//! Pure: no I/O, no timers.
import type { Conversation } from '@/lib/api/types';
import { unreadAfter, unreadFromOthers } from './attention';
import type { MessengerEvent } from './events';
import { claimsSeries, type ConversationsState, type MessengerState } from './types';

/** Event conversations lack the caller-specific fields (read_up_to, unread_count, …): keep ours. */
function upsert(byId: Record<string, Conversation>, conv: Conversation): Record<string, Conversation> {
  return { ...byId, [conv.id]: { ...byId[conv.id], ...conv } };
}

function remove(s: ConversationsState, id: string): ConversationsState {
  if (!(id in s.byId) && s.activeId !== id) return s;
  const { [id]: _gone, ...byId } = s.byId;
  return { ...s, byId, activeId: s.activeId === id ? null : s.activeId };
}

function patch(s: ConversationsState, id: string, fn: (c: Conversation) => Conversation): ConversationsState {
  const c = s.byId[id];
  if (!c) return s;
  const next = fn(c);
  return next === c ? s : { ...s, byId: { ...s.byId, [id]: next } };
}

export function applyConversations(s: ConversationsState, e: MessengerEvent, root: MessengerState): ConversationsState {
  switch (e.type) {
    case 'conversations/listed': {
      const byId = { ...s.byId };
      for (const c of e.list) byId[c.id] = c;
      const activeId = s.activeId && byId[s.activeId] ? s.activeId : null;
      return { byId, listLoaded: true, activeId };
    }
    case 'history/restored': {
      // The server's list (or an event) is newer than the cache: it wins wherever both have one.
      const byId = { ...Object.fromEntries(e.conversations.map((c) => [c.id, c])), ...s.byId };
      return { ...s, byId, listLoaded: s.listLoaded || e.conversations.length > 0 };
    }
    case 'conversations/list-failed':
      return s.listLoaded ? s : { ...s, listLoaded: true };
    case 'conversation/upserted':
      return { ...s, byId: upsert(s.byId, e.conversation) };
    case 'conversation/removed':
      return remove(s, e.conversationId);
    case 'conversation/opened':
      return s.activeId === e.conversationId ? s : { ...s, activeId: e.conversationId };
    case 'conversation/read':
      // Receipts name only what was on screen: what lies beyond stays unread.
      return patch(s, e.conversationId, (c) => ({ ...c, read_up_to: e.position, unread_count: Math.min(c.unread_count ?? 0, unreadAfter(root.timelines[e.conversationId], e.position, root.me.id)) }));
    case 'conversation/read-reverted':
      return patch(s, e.conversationId, (c) => ({ ...c, read_up_to: e.readUpTo }));
    case 'conversation/unread-cleared':
      return patch(s, e.conversationId, (c) => (c.unread_count ? { ...c, unread_count: 0 } : c));
    case 'messages/arrived': {
      const timeline = root.timelines[e.conversationId];
      if (e.source !== 'live' || !timeline || e.wires.length === 0) return s;
      const known = new Set(timeline.messages.map((m) => m.id));
      return patch(s, e.conversationId, (c) => {
        const lastPos = c.last_position ?? 0;
        const fresh = e.wires.filter((w) => w.position > lastPos && w.sender_id !== root.me.id && !known.has(w.message_id) && !claimsSeries(w));
        const newest = e.wires[e.wires.length - 1];
        return {
          ...c,
          last_position: Math.max(lastPos, ...e.wires.map((w) => w.position)),
          last_activity_at: new Date(Math.max(Date.parse(c.last_activity_at) || 0, newest.server_ts)).toISOString(),
          unread_count: (c.unread_count ?? 0) + fresh.length,
        };
      });
    }
    case 'stream': {
      const ev = e.event;
      if (ev.type === 'message_deleted') {
        // A deleted message stops counting. One we never loaded: the messenger asks the server.
        const m = root.timelines[ev.conversationId]?.messages.find((x) => x.id === ev.messageId);
        return patch(s, ev.conversationId, (c) => (m && c.unread_count && unreadFromOthers(m, root.me.id, c.read_up_to ?? 0) ? { ...c, unread_count: c.unread_count - 1 } : c));
      }
      if (ev.type === 'receipt') {
        if (ev.userId !== root.me.id || ev.status !== 'read') return s;
        return patch(s, ev.conversationId, (c) => {
          if ((c.read_up_to ?? 0) >= ev.position) return c;
          const unread = ev.position >= (c.last_position ?? 0) ? 0 : c.unread_count;
          return { ...c, read_up_to: ev.position, unread_count: unread };
        });
      }
      if (ev.type === 'conversation') {
        if (!ev.conversation || (ev.change === 'member_removed' && ev.userId === root.me.id)) return remove(s, ev.conversationId);
        return { ...s, byId: upsert(s.byId, ev.conversation) };
      }
      return s;
    }
    default:
      return s;
  }
}
