import { afterEach, describe, expect, it, vi } from 'vitest';
import { toError } from '@/lib/api/client';
import { ApiError, describeError, parseRetryAfter } from '@/lib/api/errors';
import { retryAfterOf, secondsLeft, startCountdown, waitMessage } from './retry-countdown';

function throttled(retryAfter: string | null): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (retryAfter !== null) headers['Retry-After'] = retryAfter;
  return new Response(JSON.stringify({ code: 'too_many_requests', message: 'too many requests' }), { status: 429, headers });
}

describe('the sign-in throttle countdown', () => {
  afterEach(() => vi.useRealTimers());

  it("takes the wait from the server's Retry-After", async () => {
    const e = await toError(throttled('7'));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.retryAfter).toBe(7);
    expect(retryAfterOf(e)).toBe(7);
    expect(describeError(e)).toBe('Too many attempts — try again in 7 s.');
  });

  it('ignores a missing or malformed Retry-After and other errors', async () => {
    expect(retryAfterOf(await toError(throttled(null)))).toBeNull();
    for (const junk of ['', 'soon', '-3', '0', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT']) expect(parseRetryAfter(junk)).toBeNull();
    expect(retryAfterOf(new ApiError(401, 'unauthenticated', 'no', 9))).toBeNull();
    expect(retryAfterOf(new Error('x'))).toBeNull();
  });

  it('counts down once a second to zero, then stops', () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    startCountdown(3, (left) => seen.push(left));
    expect(seen).toEqual([3]);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([3, 2]);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual([3, 2, 1, 0]);
    expect(vi.getTimerCount()).toBe(0);
    expect(waitMessage(2)).toBe('Too many attempts — try again in 2 s');
  });

  it('follows the clock, not the ticks, when a background tab was throttled', () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const stop = startCountdown(30, (left) => seen.push(left));
    vi.setSystemTime(Date.now() + 20_500); // the tab slept; no tick ran
    vi.advanceTimersByTime(1000);
    expect(seen.at(-1)).toBe(9);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(secondsLeft(1000, 0)).toBe(1);
    expect(secondsLeft(0, 1000)).toBe(0);
  });
});
