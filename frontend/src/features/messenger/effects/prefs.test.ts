import { describe, expect, it } from 'vitest';
import { defaultPrefs } from '../model';
import { loadPrefs, prefsKey, savePrefs } from './prefs';

class MemoryStorage implements Storage {
  private m = new Map<string, string>();
  get length() { return this.m.size; }
  clear() { this.m.clear(); }
  getItem(k: string) { return this.m.get(k) ?? null; }
  key(i: number) { return [...this.m.keys()][i] ?? null; }
  removeItem(k: string) { this.m.delete(k); }
  setItem(k: string, v: string) { this.m.set(k, v); }
}

describe('preferences on this device', () => {
  it('round-trip per user, and fall back to the defaults when missing or malformed', () => {
    const st = new MemoryStorage();
    expect(loadPrefs('u', st)).toEqual(defaultPrefs);
    savePrefs('u', { muted: { c1: true, c2: true }, notify: true, hideContent: true }, st);
    expect(loadPrefs('u', st)).toEqual({ muted: { c1: true, c2: true }, notify: true, hideContent: true });
    expect(loadPrefs('other', st)).toEqual(defaultPrefs);
    st.setItem(prefsKey('u'), '{not json');
    expect(loadPrefs('u', st)).toEqual(defaultPrefs);
    st.setItem(prefsKey('u'), JSON.stringify({ muted: ['a', 3, null], notify: 'yes', hideContent: 1 }));
    expect(loadPrefs('u', st)).toEqual({ muted: { a: true }, notify: false, hideContent: false });
  });
});
