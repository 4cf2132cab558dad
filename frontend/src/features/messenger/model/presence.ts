//! Slice `presence`: who (sharing a conversation with us) is online. Pure.
import type { MessengerEvent } from './events';

export function applyPresence(s: Record<string, boolean>, e: MessengerEvent): Record<string, boolean> {
  if (e.type === 'presence/loaded') return Object.fromEntries(e.online.map((id) => [id, true]));
  if (e.type === 'stream' && e.event.type === 'presence') {
    const { userId, online } = e.event;
    return s[userId] === online ? s : { ...s, [userId]: online };
  }
  return s;
}
