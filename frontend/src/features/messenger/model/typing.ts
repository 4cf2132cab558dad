//! Slice `typing`: who is typing where, until when. A typing event shows for TYPING_MS; a message
//! from that person ends it at once (senders never post a typing notification after the message
//! it announced: effects/typing.ts). Time comes in with the event. Pure.
import type { MessengerEvent } from './events';
import type { MessengerState } from './types';

export const TYPING_MS = 6_000;

type Typing = MessengerState['typing'];

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
