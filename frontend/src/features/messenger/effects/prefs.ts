//! Effect: this device's preferences per user (muted conversations, desktop notifications,
//! hiding sender and content) in `localStorage`. Nothing of it goes to the server: muting is
//! this device's business. Anything malformed falls back to the defaults.
import { defaultPrefs, type Prefs } from '../model';

export const prefsKey = (userId: string) => `courier:prefs:${userId}`;

export function loadPrefs(userId: string, storage: Storage = localStorage): Prefs {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(prefsKey(userId)) ?? '{}');
  } catch {
    return defaultPrefs;
  }
  if (typeof raw !== 'object' || raw === null) return defaultPrefs;
  const r = raw as Record<string, unknown>;
  const muted: Record<string, true> = {};
  if (Array.isArray(r.muted)) for (const id of r.muted) if (typeof id === 'string') muted[id] = true;
  return { muted, notify: r.notify === true, hideContent: r.hideContent === true };
}

export function savePrefs(userId: string, prefs: Prefs, storage: Storage = localStorage): void {
  try {
    storage.setItem(prefsKey(userId), JSON.stringify({ muted: Object.keys(prefs.muted), notify: prefs.notify, hideContent: prefs.hideContent }));
  } catch {
    /* storage full or disabled: the preference lasts as long as this page */
  }
}
