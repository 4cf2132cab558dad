//! Typing notifications never reach the server after the message they announced.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api/errors';
import { initialState } from '../model';
import { MessengerStore } from '../store';
import { TYPING_INTERVAL_MS, TYPING_MIN_GAP_MS, TypingEffects } from './typing';

const posts: number[] = [];
let answer: () => Promise<void> = () => Promise.resolve();
vi.mock('@/features/messages', () => ({
  postTyping: () => {
    posts.push(Date.now());
    return answer();
  },
}));

const tooMany = () => Promise.reject(new ApiError(429, 'rate_limited', 'slow down'));

describe('typing effects', () => {
  let typing: TypingEffects;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    posts.length = 0;
    answer = () => Promise.resolve();
    typing = new TypingEffects(new MessengerStore(initialState({ id: 'me', username: 'me' }, null, {})));
  });
  afterEach(() => {
    typing.stop();
    vi.useRealTimers();
  });

  it('posts at most every few seconds while typing', async () => {
    typing.typing('c');
    await vi.advanceTimersByTimeAsync(500);
    typing.typing('c');
    expect(posts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(TYPING_INTERVAL_MS);
    typing.typing('c');
    expect(posts).toHaveLength(2);
  });

  it('does not retry a refused notification once the message is sent', async () => {
    answer = tooMany;
    typing.typing('c');
    await vi.advanceTimersByTimeAsync(10); // the 429 arrives, a retry is scheduled
    typing.sent('c');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(posts).toHaveLength(1);
  });

  it('after a send, notifies again for the next message, but never sooner than the server allows', async () => {
    typing.typing('c');
    typing.sent('c');
    typing.typing('c');
    expect(posts).toHaveLength(1); // within the server's one a second: it would be refused
    await vi.advanceTimersByTimeAsync(TYPING_MIN_GAP_MS);
    expect(posts).toHaveLength(2); // deferred to when it is allowed, without another keystroke
    expect(posts[1] - posts[0]).toBeGreaterThanOrEqual(TYPING_MIN_GAP_MS);
  });

  it('drops a deferred notification when the next message is sent first', async () => {
    typing.typing('c');
    typing.sent('c');
    typing.typing('c');
    typing.sent('c');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(posts).toHaveLength(1);
  });

  it('lets a send wait for a notification in flight', async () => {
    let release = () => {};
    answer = () => new Promise<void>((r) => (release = r));
    typing.typing('c');
    let settled = false;
    void typing.settled('c').then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    await expect(typing.settled('other')).resolves.toBeUndefined();
  });
});
