//! Slice `typing`: who is typing where, until when. A typing event shows for TYPING_MS; a message
//! from that person ends it at once, and a typing event arriving within TYPING_QUIET_MS after
//! their message is taken for one that announced that message (posted before it, delivered
//! after) and ignored. Slice `spoke` remembers those message times. Time comes in with the
//! event. Pure.
import type { MessengerEvent } from './events';
import type { MessengerState } from './types';

export const TYPING_MS = 6_000;
export const TYPING_QUIET_MS = 1_500;

type Typing = MessengerState['typing'];
type Spoke = MessengerState['spoke'];

const spokeKey = (convId: string, userId: string) => `${convId}/${userId}`;

/** When each person last had a live message arrive, per conversation (kept TYPING_QUIET_MS). */
export function applySpoke(s: Spoke, e: MessengerEvent, root: MessengerState): Spoke {
  if (e.type === 'stream' && e.event.type === 'message') {
    const m = e.event.message;
    if (m.sender_id === root.me.id) return s;
    return { ...s, [spokeKey(m.conversation_id, m.sender_id)]: e.now };
  }
  if (e.type === 'typing/expired') {
    const stale = Object.keys(s).filter((k) => s[k] + TYPING_QUIET_MS < e.now);
    if (!stale.length) return s;
    const next = { ...s };
    for (const k of stale) delete next[k];
    return next;
  }
  return s;
}

function clear(s: Typing, convId: string, userId: string): Typing {
  const conv = s[convId];
  if (!conv || !(userId in conv)) return s;
  const { [userId]: _t, ...rest } = conv;
  return { ...s, [convId]: rest };
}

export function applyTyping(s: Typing, e: MessengerEvent, root: MessengerState): Typing {
  switch (e.type) {
    case 'stream': {
      const ev = e.event;
      if (ev.type === 'typing') {
        if (ev.userId === root.me.id || !root.conversations.byId[ev.conversationId]) return s;
        const spoke = root.spoke[spokeKey(ev.conversationId, ev.userId)];
        if (spoke !== undefined && e.now - spoke < TYPING_QUIET_MS) return s;
        return { ...s, [ev.conversationId]: { ...s[ev.conversationId], [ev.userId]: e.now + TYPING_MS } };
      }
      if (ev.type === 'message') return clear(s, ev.message.conversation_id, ev.message.sender_id);
      if (ev.type === 'conversation' && !ev.conversation && s[ev.conversationId]) {
        const { [ev.conversationId]: _gone, ...rest } = s;
        return rest;
      }
      return s;
    }
    case 'typing/expired': {
      let next = s;
      for (const [convId, users] of Object.entries(s)) {
        for (const [user, until] of Object.entries(users)) if (until < e.now) next = clear(next, convId, user);
      }
      return next;
    }
    default:
      return s;
  }
}
