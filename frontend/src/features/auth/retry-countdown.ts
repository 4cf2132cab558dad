//! The "Too many attempts — try again in N s" countdown of the sign-in screen.
//!
//! The server answers a throttled sign-in with 429 and `Retry-After` (seconds). The form shows
//! the wait counting down and keeps submit disabled until it is over, instead of letting the
//! user hammer a limit that only moves with time. The count is taken from a deadline, not by
//! counting ticks, so a throttled background tab still shows the right number when it wakes.

import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '@/lib/api/errors';

/** The wait a refusal asks for, in seconds, or null if it is not a throttle with a wait. */
export function retryAfterOf(e: unknown): number | null {
  return e instanceof ApiError && e.status === 429 && e.retryAfter ? e.retryAfter : null;
}

/** Whole seconds left until `deadline` (ms since the epoch), rounded up, never negative. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

export function waitMessage(seconds: number): string {
  return `Too many attempts — try again in ${seconds} s`;
}

/**
 * Calls `onTick` with the seconds left, at once and then every second, and a last time with 0;
 * returns a function that stops it early.
 */
export function startCountdown(seconds: number, onTick: (left: number) => void): () => void {
  const deadline = Date.now() + seconds * 1000;
  onTick(secondsLeft(deadline, Date.now()));
  const timer = setInterval(() => {
    const left = secondsLeft(deadline, Date.now());
    onTick(left);
    if (left === 0) clearInterval(timer);
  }, 1000);
  return () => clearInterval(timer);
}

/** React state around [`startCountdown`]: `left` seconds (0 when there is nothing to wait for). */
export function useRetryCountdown(): { left: number; start: (seconds: number) => void } {
  // A new object per refusal, so the same wait twice in a row still restarts the count.
  const [wait, setWait] = useState<{ seconds: number } | null>(null);
  const [left, setLeft] = useState(0);
  useEffect(() => (wait === null ? undefined : startCountdown(wait.seconds, setLeft)), [wait]);
  const start = useCallback((seconds: number) => setWait({ seconds }), []);
  return { left, start };
}
