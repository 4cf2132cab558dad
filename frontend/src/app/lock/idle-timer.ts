//! Applies the idle policy (features/auth idle-policy) to the page: pointer, keyboard, wheel, touch,
//! focus and becoming visible count as activity; activity is shared with the other tabs and noted
//! beside the device record (both throttled); one timer fires at the deadline and re-checks, so a
//! late timer (a sleeping laptop, a throttled background tab) still locks, and the first input
//! after the deadline locks instead of reviving the session.

import { lockDeadline, onLocalActivity, onRemoteActivity, isIdleExpired, type ActivityState } from '@/features/auth';

const EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'focus'] as const;

export interface IdleTimerHooks {
  /** The idle time passed: lock. Called once. */
  onIdle: () => void;
  /** Tell the other tabs (throttled). */
  share: (at: number) => void;
  /** Note the time beside the device record (throttled). */
  persist: (at: number) => void;
}

export class IdleTimer {
  private state: ActivityState;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly onEvent = () => this.local();
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') this.local();
  };

  constructor(
    private limit: number | null,
    private readonly hooks: IdleTimerHooks,
    now: number = Date.now(),
  ) {
    this.state = { lastActive: now, lastShared: now, lastPersisted: now };
    for (const e of EVENTS) window.addEventListener(e, this.onEvent, { capture: true, passive: true });
    document.addEventListener('visibilitychange', this.onVisible);
    this.schedule();
  }

  /** A new idle time (Settings, here or in another tab); activity so far still counts. */
  setLimit(limit: number | null): void {
    this.limit = limit;
    this.check();
  }

  /** Activity in another tab. */
  remote(at: number): void {
    this.state = onRemoteActivity(this.state, at);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const e of EVENTS) window.removeEventListener(e, this.onEvent, { capture: true });
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  private local(): void {
    if (this.stopped) return;
    const now = Date.now();
    const r = onLocalActivity(this.state, now, this.limit);
    if (r.lock) return this.fire();
    this.state = r.state;
    if (r.share) this.hooks.share(now);
    if (r.persist) this.hooks.persist(now);
  }

  private check(): void {
    if (this.stopped) return;
    if (isIdleExpired(this.state.lastActive, Date.now(), this.limit)) this.fire();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = lockDeadline(this.state.lastActive, this.limit);
    if (deadline === null) return;
    // Re-checked on firing: activity meanwhile moves the deadline on without rescheduling.
    this.timer = setTimeout(() => this.check(), Math.min(Math.max(deadline - Date.now(), 0) + 50, 2 ** 31 - 1));
  }

  private fire(): void {
    if (this.stopped) return;
    this.stop();
    this.hooks.onIdle();
  }
}
