//! Slice `presence`: who (sharing a conversation with us) is online. Pure. Known only while our
//! own stream is live: when it drops, nobody is shown online (we cannot know), until the next
//! presence answer after reconnecting.
import type { MessengerEvent } from './events';

export function applyPresence(s: Record<string, boolean>, e: MessengerEvent): Record<string, boolean> {
  if (e.type === 'presence/loaded') return Object.fromEntries(e.online.map((id) => [id, true]));
  if (e.type === 'connection' && e.status !== 'live') return Object.keys(s).length ? {} : s;
  if (e.type === 'stream' && e.event.type === 'presence') {
    const { userId, online } = e.event;
    return s[userId] === online ? s : { ...s, [userId]: online };
  }
  return s;
}
