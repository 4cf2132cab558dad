//! Effect: typing notifications, and a timer that expires the indicators of others (the model
//! keeps their "until").
//!
//! What we post: at most one notification every 3 s while the user types. The server allows one a
//! second and answers 429 when we are early; then we try once more a moment later, unless a
//! message was sent meanwhile. A typing notification must never reach the server after the
//! message it announced (receivers would show "typing" for seconds after the message), so:
//! sending cancels a pending retry or deferred notification, and the message is posted only once
//! a typing POST in flight has been answered (`settled`). After a send, the next keystroke
//! notifies again (receivers cleared the indicator on the message), but no sooner than the
//! server's one a second: a keystroke before that defers the notification to then, unless the
//! next message is sent first.
import { ApiError } from '@/lib/api/errors';
import { postTyping } from '@/features/messages';
import type { MessengerStore } from '../store';

/** While typing, notify at most this often. */
export const TYPING_INTERVAL_MS = 3_000;
/** The server's limit (one a second) with a margin: never earlier than this after the last POST. */
export const TYPING_MIN_GAP_MS = 1_100;
/** How long a send waits for a typing POST in flight before posting anyway. */
const SETTLE_MAX_MS = 2_000;

export class TypingEffects {
  private lastPost = new Map<string, number>();
  /** Conversations where a message was sent since the last typing POST. */
  private sentSince = new Set<string>();
  /** A 429 retry or a deferred notification; a send cancels it. */
  private retry = new Map<string, ReturnType<typeof setTimeout>>();
  private inflight = new Map<string, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: MessengerStore,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.store.dispatch({ type: 'typing/expired', now: this.now() }), 1_000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.retry.forEach(clearTimeout);
    this.retry.clear();
  }

  /** A message is being sent: no typing notification for it may follow. */
  sent(convId: string): void {
    const t = this.retry.get(convId);
    if (t) clearTimeout(t);
    this.retry.delete(convId);
    this.sentSince.add(convId);
  }

  /** Resolves once no typing POST for this conversation is in flight (bounded). */
  settled(convId: string): Promise<void> {
    const p = this.inflight.get(convId);
    if (!p) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, SETTLE_MAX_MS);
      void p.finally(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** A keystroke in the composer. */
  typing(convId: string): void {
    if (this.retry.has(convId)) return;
    const last = this.lastPost.get(convId);
    const afterSend = this.sentSince.has(convId);
    const wait = last === undefined ? 0 : (afterSend ? TYPING_MIN_GAP_MS : TYPING_INTERVAL_MS) - (this.now() - last);
    if (wait > 0) {
      // Still shown at the receivers (no send since): nothing to do. After a send: notify as soon as allowed.
      if (afterSend) {
        this.retry.set(convId, setTimeout(() => {
          this.retry.delete(convId);
          this.sentSince.delete(convId);
          this.post(convId, true);
        }, wait));
      }
      return;
    }
    this.sentSince.delete(convId);
    this.post(convId, true);
  }

  private post(convId: string, mayRetry: boolean): void {
    this.lastPost.set(convId, this.now());
    const p = postTyping(convId).catch((e: unknown) => {
      if (!mayRetry || !(e instanceof ApiError) || e.status !== 429 || this.retry.has(convId)) return;
      this.retry.set(convId, setTimeout(() => {
        this.retry.delete(convId);
        if (!this.sentSince.has(convId)) this.post(convId, false);
      }, TYPING_MIN_GAP_MS));
    });
    const tracked = p.finally(() => {
      if (this.inflight.get(convId) === tracked) this.inflight.delete(convId);
    });
    this.inflight.set(convId, tracked);
  }
}
