//! Small per-user persistence: the last event id (so a reload resumes the stream where it
//! stopped; several tabs share it, so only ever move it forward) and the open conversation.

const lastKey = (userId: string) => `courier:last-event:${userId}`;

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

export function clearUserData(userId: string): void {
  for (const k of [lastKey(userId), `courier:receipts:${userId}`]) localStorage.removeItem(k);
  sessionStorage.removeItem(`courier:active:${userId}`);
}
