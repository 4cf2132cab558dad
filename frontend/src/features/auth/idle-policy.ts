//! When an unlocked session locks itself: the person's choices for this device ("keep this device
//! unlocked", lock after N minutes without activity) and the pure rules over them. Pure (no DOM,
//! no timers, no storage), so the policy is tested alone; the app's lock controller applies it.
//!
//! Activity in any tab counts. The last activity is shared between tabs by message and kept beside
//! the device-unlock record, so a browser reopened after the idle time finds the record expired.

export interface LockSettings {
  /** Keep the user key (wrapped under a non-extractable device key) so reloads and new tabs open unlocked. */
  keepUnlocked: boolean;
  /** Lock after this many minutes without activity; 0 = never. */
  idleMinutes: number;
}

export const DEFAULT_IDLE_MINUTES = 30;

export const IDLE_CHOICES: readonly { minutes: number; label: string }[] = [
  { minutes: 5, label: '5 minutes' },
  { minutes: 15, label: '15 minutes' },
  { minutes: 30, label: '30 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 240, label: '4 hours' },
  { minutes: 0, label: 'Never' },
];

export const DEFAULT_LOCK_SETTINGS: LockSettings = { keepUnlocked: false, idleMinutes: DEFAULT_IDLE_MINUTES };

/** Stored settings, or the defaults for anything missing or not one of the choices. */
export function parseLockSettings(raw: string | null): LockSettings {
  let v: unknown;
  try {
    v = raw ? JSON.parse(raw) : null;
  } catch {
    v = null;
  }
  const o = (v && typeof v === 'object' ? v : {}) as Partial<Record<keyof LockSettings, unknown>>;
  const minutes = IDLE_CHOICES.some((c) => c.minutes === o.idleMinutes) ? (o.idleMinutes as number) : DEFAULT_IDLE_MINUTES;
  return { keepUnlocked: o.keepUnlocked === true, idleMinutes: minutes };
}

/** The idle time in milliseconds, or null for "never". */
export function idleLimitMs(s: LockSettings): number | null {
  return s.idleMinutes > 0 ? s.idleMinutes * 60_000 : null;
}

/** True once `limit` has passed since the last activity (never with no limit). */
export function isIdleExpired(lastActive: number, now: number, limit: number | null): boolean {
  return limit !== null && now - lastActive >= limit;
}

/** When the session locks if nothing happens before (null: never). */
export function lockDeadline(lastActive: number, limit: number | null): number | null {
  return limit === null ? null : lastActive + limit;
}

/** How often activity is told to the other tabs, and written beside the device-unlock record. */
export const SHARE_EVERY_MS = 5_000;
export const PERSIST_EVERY_MS = 15_000;

export interface ActivityState {
  lastActive: number;
  lastShared: number;
  lastPersisted: number;
}

export type ActivityOutcome =
  | { lock: true }
  | { lock: false; state: ActivityState; share: boolean; persist: boolean };

/**
 * A local input at `now`. If the idle time already passed (a laptop waking from sleep: the first
 * event is the click that wakes it), that input must not revive the session: it locks. Otherwise
 * the activity counts, and is shared and persisted at most every few seconds.
 */
export function onLocalActivity(s: ActivityState, now: number, limit: number | null): ActivityOutcome {
  if (isIdleExpired(s.lastActive, now, limit)) return { lock: true };
  const share = now - s.lastShared >= SHARE_EVERY_MS;
  const persist = now - s.lastPersisted >= PERSIST_EVERY_MS;
  return {
    lock: false,
    share,
    persist,
    state: { lastActive: Math.max(s.lastActive, now), lastShared: share ? now : s.lastShared, lastPersisted: persist ? now : s.lastPersisted },
  };
}

/** Activity reported by another tab (clocks are the same machine's): the latest one wins. */
export function onRemoteActivity(s: ActivityState, at: number): ActivityState {
  return at > s.lastActive ? { ...s, lastActive: at } : s;
}
