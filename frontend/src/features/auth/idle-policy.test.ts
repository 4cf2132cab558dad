import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IDLE_MINUTES, idleLimitMs, isIdleExpired, lockDeadline, onLocalActivity, onRemoteActivity, parseLockSettings, PERSIST_EVERY_MS, SHARE_EVERY_MS,
} from './idle-policy';

const MIN = 60_000;

describe('lock settings', () => {
  it('default to not kept unlocked and 30 minutes', () => {
    expect(parseLockSettings(null)).toEqual({ keepUnlocked: false, idleMinutes: DEFAULT_IDLE_MINUTES });
    expect(DEFAULT_IDLE_MINUTES).toBe(30);
    expect(parseLockSettings('not json')).toEqual({ keepUnlocked: false, idleMinutes: 30 });
  });

  it('keep only known choices', () => {
    expect(parseLockSettings('{"keepUnlocked":true,"idleMinutes":240}')).toEqual({ keepUnlocked: true, idleMinutes: 240 });
    expect(parseLockSettings('{"keepUnlocked":true,"idleMinutes":0}')).toEqual({ keepUnlocked: true, idleMinutes: 0 });
    expect(parseLockSettings('{"keepUnlocked":"yes","idleMinutes":7}')).toEqual({ keepUnlocked: false, idleMinutes: 30 });
    expect(parseLockSettings('{"idleMinutes":-5}').idleMinutes).toBe(30);
  });

  it('"never" has no limit', () => {
    expect(idleLimitMs({ keepUnlocked: true, idleMinutes: 0 })).toBeNull();
    expect(idleLimitMs({ keepUnlocked: true, idleMinutes: 5 })).toBe(5 * MIN);
  });
});

describe('idle expiry', () => {
  it('expires exactly at the limit, never without one', () => {
    expect(isIdleExpired(1000, 1000 + 5 * MIN - 1, 5 * MIN)).toBe(false);
    expect(isIdleExpired(1000, 1000 + 5 * MIN, 5 * MIN)).toBe(true);
    expect(isIdleExpired(0, 1e15, null)).toBe(false);
    expect(lockDeadline(1000, 5 * MIN)).toBe(1000 + 5 * MIN);
    expect(lockDeadline(1000, null)).toBeNull();
  });
});

describe('activity', () => {
  const start = { lastActive: 0, lastShared: 0, lastPersisted: 0 };

  it('moves the deadline and is shared and persisted, throttled', () => {
    const a = onLocalActivity(start, 1000, 5 * MIN);
    expect(a).toEqual({ lock: false, share: false, persist: false, state: { lastActive: 1000, lastShared: 0, lastPersisted: 0 } });
    const b = onLocalActivity(start, SHARE_EVERY_MS, 5 * MIN);
    expect(b.lock === false && b.share && !b.persist).toBe(true);
    const c = onLocalActivity(start, PERSIST_EVERY_MS, 5 * MIN);
    expect(c.lock === false && c.share && c.persist && c.state.lastPersisted === PERSIST_EVERY_MS).toBe(true);
  });

  it('after the idle time, the first input locks instead of reviving the session', () => {
    expect(onLocalActivity(start, 5 * MIN, 5 * MIN)).toEqual({ lock: true });
    expect(onLocalActivity(start, 5 * MIN - 1, 5 * MIN).lock).toBe(false);
    expect(onLocalActivity(start, 10 * 24 * 60 * MIN, null).lock).toBe(false);
  });

  it('from another tab, the latest time wins', () => {
    expect(onRemoteActivity({ ...start, lastActive: 500 }, 900).lastActive).toBe(900);
    expect(onRemoteActivity({ ...start, lastActive: 500 }, 100).lastActive).toBe(500);
  });
});
