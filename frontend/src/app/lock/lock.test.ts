import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasDeviceUnlock, loadLockSettings, saveLockSettings, type DeviceSeal } from '@/features/auth';
import { parseTabMessage, type TabMessage } from './channel';
import { LockController } from './controller';
import { IdleTimer } from './idle-timer';

const MIN = 60_000;

/** The little of a page the idle timer listens to. */
function fakePage() {
  const storage = new Map<string, string>();
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }));
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
    removeItem: (k: string) => void storage.delete(k),
  });
}

/** What a sign-in hands over (the controller only stores it). */
async function sealForDevice(_raw: Uint8Array, username: string): Promise<DeviceSeal> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  return { key, wrapped: crypto.getRandomValues(new Uint8Array(60)), username };
}

const press = () => window.dispatchEvent(new Event('keydown'));

describe('tab messages', () => {
  it('only known, well-formed messages pass', () => {
    expect(parseTabMessage({ type: 'lock', userId: 'u' })).toEqual({ type: 'lock', userId: 'u' });
    expect(parseTabMessage({ type: 'activity', userId: 'u', at: 5 })).toEqual({ type: 'activity', userId: 'u', at: 5 });
    expect(parseTabMessage({ type: 'activity', userId: 'u' })).toBeNull();
    expect(parseTabMessage({ type: 'outbox', userId: 'u' })).toBeNull();
    expect(parseTabMessage({ type: 'lock' })).toBeNull();
    expect(parseTabMessage('lock')).toBeNull();
    expect(parseTabMessage({ type: 'lock', userId: 'u', idle: true })).toEqual({ type: 'lock', userId: 'u', idle: true });
    expect(parseTabMessage({ type: 'lock', userId: 'u', idle: 'yes' })).toBeNull();
    expect(parseTabMessage(null)).toBeNull();
  });
});

describe('IdleTimer', () => {
  beforeEach(() => {
    fakePage();
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('locks after the idle time without activity, once', () => {
    const onIdle = vi.fn();
    const t = new IdleTimer(5 * MIN, { onIdle, share: vi.fn(), persist: vi.fn() });
    vi.advanceTimersByTime(5 * MIN - 1000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    press();
    vi.advanceTimersByTime(10 * MIN);
    expect(onIdle).toHaveBeenCalledTimes(1);
    t.stop();
  });

  it('activity here or in another tab moves the deadline; it is shared and persisted, throttled', () => {
    const onIdle = vi.fn();
    const share = vi.fn();
    const persist = vi.fn();
    const t = new IdleTimer(5 * MIN, { onIdle, share, persist });
    vi.advanceTimersByTime(4 * MIN);
    press();
    press();
    expect(share).toHaveBeenCalledTimes(1);
    expect(persist).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(4 * MIN);
    expect(onIdle).not.toHaveBeenCalled();
    t.remote(Date.now());
    vi.advanceTimersByTime(4 * MIN);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1 * MIN + 100);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('the first input after the deadline locks (a late timer, a sleeping laptop)', () => {
    const onIdle = vi.fn();
    const t = new IdleTimer(5 * MIN, { onIdle, share: vi.fn(), persist: vi.fn() });
    vi.setSystemTime(6 * MIN); // time passed, the timer has not run yet
    press();
    expect(onIdle).toHaveBeenCalledTimes(1);
    t.stop();
  });

  it('"never" never locks; a shorter limit set later applies to the time already idle', () => {
    const onIdle = vi.fn();
    const t = new IdleTimer(null, { onIdle, share: vi.fn(), persist: vi.fn() });
    vi.advanceTimersByTime(48 * 60 * MIN);
    expect(onIdle).not.toHaveBeenCalled();
    t.setLimit(5 * MIN);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('stops listening once stopped', () => {
    const share = vi.fn();
    const t = new IdleTimer(5 * MIN, { onIdle: vi.fn(), share, persist: vi.fn() });
    t.stop();
    vi.advanceTimersByTime(10_000);
    press();
    expect(share).not.toHaveBeenCalled();
  });
});

describe('LockController across tabs', () => {
  beforeEach(fakePage);
  afterEach(() => vi.unstubAllGlobals());

  function tab() {
    const heard: TabMessage[] = [];
    const idle = vi.fn();
    const settings = vi.fn();
    const c = new LockController({ idle, fromOtherTab: (m) => heard.push(m), settingsChanged: settings });
    return { c, heard, idle, settings };
  }

  it('keeping the device unlocked stores the record and tells the other tabs; a lock deletes it and locks them', async () => {
    const a = tab();
    const b = tab();
    const seal = await sealForDevice(crypto.getRandomValues(new Uint8Array(32)), 'ann');
    await a.c.started('u1', seal, { keepUnlocked: true });
    expect(await hasDeviceUnlock('u1')).toBe(true);
    expect(loadLockSettings('u1').keepUnlocked).toBe(true);
    await vi.waitFor(() => expect(b.heard).toContainEqual({ type: 'unlocked', userId: 'u1' }));

    await b.c.started('u1', seal, { resumed: true });
    await a.c.lock('u1');
    expect(await hasDeviceUnlock('u1')).toBe(false);
    await vi.waitFor(() => expect(b.heard).toContainEqual({ type: 'lock', userId: 'u1' }));
    expect(loadLockSettings('u1').keepUnlocked).toBe(true); // the choice stays for the next unlock
    a.c.dispose();
    b.c.dispose();
  });

  it('turning the option off deletes the record, on stores it; the other tabs follow the settings', async () => {
    const a = tab();
    const b = tab();
    const seal = await sealForDevice(crypto.getRandomValues(new Uint8Array(32)), 'ann');
    await a.c.started('u2', seal, { keepUnlocked: false });
    await b.c.started('u2', seal, { resumed: true });
    expect(await hasDeviceUnlock('u2')).toBe(false);
    await a.c.change({ keepUnlocked: true, idleMinutes: 5 });
    expect(await hasDeviceUnlock('u2')).toBe(true);
    await vi.waitFor(() => expect(b.settings).toHaveBeenCalledWith({ keepUnlocked: true, idleMinutes: 5 }));
    await a.c.change({ keepUnlocked: false, idleMinutes: 5 });
    expect(await hasDeviceUnlock('u2')).toBe(false);
    a.c.dispose();
    b.c.dispose();
  });

  it('signing out deletes the record and the choices, and tells the other tabs', async () => {
    const a = tab();
    const b = tab();
    saveLockSettings('u3', { keepUnlocked: true, idleMinutes: 60 });
    await a.c.started('u3', await sealForDevice(crypto.getRandomValues(new Uint8Array(32)), 'ann'));
    expect(await hasDeviceUnlock('u3')).toBe(true);
    await a.c.signedOut('u3');
    expect(await hasDeviceUnlock('u3')).toBe(false);
    expect(localStorage.getItem('courier:lock:u3')).toBeNull();
    await vi.waitFor(() => expect(b.heard).toContainEqual({ type: 'signed-out', userId: 'u3' }));
    a.c.dispose();
    b.c.dispose();
  });
});
