//! Small per-user persistence (drafts: effects/drafts.ts): the last event id (so a reload resumes the stream where it
//! stopped; several tabs share it, so only ever move it forward), the open conversation, and
//! members' receipt positions (the conversation object does not carry them).
import type { ReceiptsState } from '../model';
import { draftKeys } from './drafts';
import { clearHistoryCache } from './history-cache';
import { clearOutbox } from './outbox';
import { prefsKey } from './prefs';

const lastKey = (userId: string) => `courier:last-event:${userId}`;
const receiptsKey = (userId: string) => `courier:receipts:${userId}`;

export function loadLastEventId(userId: string): number | null {
  const v = Number(localStorage.getItem(lastKey(userId)));
  return Number.isSafeInteger(v) && v > 0 ? v : null;
}

export function saveLastEventId(userId: string, id: number): void {
  const cur = loadLastEventId(userId);
  if (cur === null || id > cur) localStorage.setItem(lastKey(userId), String(id));
}

export function loadActiveConversation(userId: string): string | null {
  return sessionStorage.getItem(`courier:active:${userId}`);
}

export function saveActiveConversation(userId: string, id: string | null): void {
  if (id) sessionStorage.setItem(`courier:active:${userId}`, id);
  else sessionStorage.removeItem(`courier:active:${userId}`);
}

function isPositions(v: unknown): v is { delivered: number; read: number } {
  return typeof v === 'object' && v !== null && 'delivered' in v && typeof v.delivered === 'number' && 'read' in v && typeof v.read === 'number';
}

/** What this browser stored; anything malformed is dropped (ticks then follow new events). */
export function loadReceipts(userId: string): ReceiptsState {
  let raw: unknown;
  try {
    raw = JSON.parse(localStorage.getItem(receiptsKey(userId)) ?? '{}');
  } catch {
    return {};
  }
  const out: ReceiptsState = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [conv, members] of Object.entries(raw)) {
    if (typeof members !== 'object' || members === null) continue;
    for (const [user, pos] of Object.entries(members)) if (isPositions(pos)) (out[conv] ??= {})[user] = { delivered: pos.delivered, read: pos.read };
  }
  return out;
}

export function saveReceipts(userId: string, receipts: ReceiptsState): void {
  try {
    localStorage.setItem(receiptsKey(userId), JSON.stringify(receipts));
  } catch {
    /* storage full or disabled: ticks fall back to what events say this session */
  }
}

/** Sign-out, account deletion: nothing of this user stays on the device (the history cache and
 *  the outbox included; resolves once IndexedDB let go of them). */
export async function clearUserData(userId: string): Promise<void> {
  for (const k of [lastKey(userId), receiptsKey(userId), prefsKey(userId), ...draftKeys(localStorage, userId)]) localStorage.removeItem(k);
  sessionStorage.removeItem(`courier:active:${userId}`);
  await Promise.all([clearHistoryCache(userId), clearOutbox(userId)]).catch(() => {
    /* IndexedDB unavailable: nothing was stored there */
  });
}
