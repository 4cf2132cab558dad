//! The app's lock controller: what locking, unlocking and signing out mean for this device and the
//! other tabs, apart from the screens (App.tsx decides what to show). One per page.
//!
//! - A session starts (sign-in, unlock, registration, or resumed from the device record): with
//!   "keep this device unlocked" its seal is stored and the other tabs are told, so the locked ones
//!   reopen; without it any old record is deleted. The idle timer starts.
//! - Locking (idle, "Lock now", or told by another tab) deletes the record and tells the other tabs.
//! - Signing out (or the account deleted, or the session ended) deletes the record and choices.

import {
  clearLockSettings, forgetDeviceUnlock, idleLimitMs, keepDeviceUnlocked, loadLockSettings, saveLockSettings, touchDeviceUnlock,
  type DeviceSeal, type LockSettings,
} from '@/features/auth';
import { TabChannel, type TabMessage } from './channel';
import { IdleTimer } from './idle-timer';

export interface LockEvents {
  /** This session's idle time passed. */
  idle: () => void;
  /** Another tab locked, signed out, or unlocked with the device kept unlocked. */
  fromOtherTab: (m: Exclude<TabMessage, { type: 'activity' | 'lock-settings' }>) => void;
  /** The settings were changed in another tab. */
  settingsChanged: (s: LockSettings) => void;
}

interface Current {
  userId: string;
  seal: DeviceSeal;
  settings: LockSettings;
  timer: IdleTimer;
}

export class LockController {
  private readonly channel = new TabChannel();
  private current: Current | null = null;
  private readonly unlisten: () => void;

  constructor(private readonly events: LockEvents) {
    this.unlisten = this.channel.listen((m) => this.received(m));
  }

  /**
   * A session is open. `keepUnlocked` is the choice made on the form (undefined: keep the one
   * stored for this user); `resumed` when it was opened from the record itself (nothing to store).
   */
  async started(userId: string, seal: DeviceSeal, opts: { keepUnlocked?: boolean; resumed?: boolean } = {}): Promise<LockSettings> {
    this.ended();
    const settings = { ...loadLockSettings(userId), ...(opts.keepUnlocked === undefined ? {} : { keepUnlocked: opts.keepUnlocked }) };
    saveLockSettings(userId, settings);
    const timer = this.idleTimer(userId, settings);
    this.current = { userId, seal, settings, timer };
    if (opts.keepUnlocked !== undefined) this.channel.post({ type: 'lock-settings', userId });
    if (opts.resumed) return settings;
    try {
      if (settings.keepUnlocked) {
        await keepDeviceUnlocked(userId, seal, Date.now());
        this.channel.post({ type: 'unlocked', userId });
      } else {
        await forgetDeviceUnlock(userId);
      }
    } catch {
      // No IndexedDB (some private modes): the session works, reloads ask for the password.
    }
    return settings;
  }

  /** The idle lock was declined (the recovery key is on screen): count idle time from now again. */
  rearm(): void {
    const c = this.current;
    if (!c) return;
    c.timer.stop();
    c.timer = this.idleTimer(c.userId, c.settings);
  }

  private idleTimer(userId: string, settings: LockSettings): IdleTimer {
    return new IdleTimer(idleLimitMs(settings), {
      onIdle: () => this.events.idle(),
      share: (at) => this.channel.post({ type: 'activity', userId, at }),
      persist: (at) => {
        if (this.current?.settings.keepUnlocked) void touchDeviceUnlock(userId, at).catch(() => {});
      },
    });
  }

  /** The session is gone from memory (locked or signed out): no more idle timer. */
  ended(): void {
    this.current?.timer.stop();
    this.current = null;
  }

  get settings(): LockSettings | null {
    return this.current?.settings ?? null;
  }

  /** Settings → This device. Turning "keep unlocked" on stores this session's seal, off deletes it. */
  async change(next: LockSettings): Promise<void> {
    const c = this.current;
    if (!c) return;
    const was = c.settings;
    c.settings = next;
    saveLockSettings(c.userId, next);
    c.timer.setLimit(idleLimitMs(next));
    if (next.keepUnlocked && !was.keepUnlocked) await keepDeviceUnlocked(c.userId, c.seal, Date.now());
    if (!next.keepUnlocked && was.keepUnlocked) await forgetDeviceUnlock(c.userId);
    this.channel.post({ type: 'lock-settings', userId: c.userId });
  }

  /** Locks here and in every tab (saying whether it was the idle time): the record is deleted,
   *  the password is needed again. */
  async lock(userId: string, announce = true, idle = false): Promise<void> {
    this.ended();
    if (announce) this.channel.post({ type: 'lock', userId, ...(idle ? { idle } : {}) });
    await forgetDeviceUnlock(userId).catch(() => {});
  }

  /** Sign-out, account deletion, an ended session: nothing of this user's stays to open with. */
  async signedOut(userId: string, announce = true): Promise<void> {
    this.ended();
    clearLockSettings(userId);
    if (announce) this.channel.post({ type: 'signed-out', userId });
    await forgetDeviceUnlock(userId).catch(() => {});
  }

  dispose(): void {
    this.ended();
    this.unlisten();
    this.channel.close();
  }

  private received(m: TabMessage): void {
    const c = this.current;
    if (m.type === 'activity') {
      if (c?.userId === m.userId) c.timer.remote(m.at);
      return;
    }
    if (m.type === 'lock-settings') {
      if (c?.userId !== m.userId) return;
      c.settings = loadLockSettings(m.userId);
      c.timer.setLimit(idleLimitMs(c.settings));
      this.events.settingsChanged(c.settings);
      return;
    }
    this.events.fromOtherTab(m);
  }
}
