//! Effect: typing notifications. We tell the server at most every 3 s while the user types (it
//! allows one a second, and answers 429 when we are early: then once more a moment later), and
//! a timer expires the indicators of others (the model keeps their "until").
import { ApiError } from '@/lib/api/errors';
import { postTyping } from '@/features/messages';
import type { MessengerStore } from '../store';

export class TypingEffects {
  private sentAt = new Map<string, number>();
  private retry = new Map<string, ReturnType<typeof setTimeout>>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly store: MessengerStore) {}

  start(): void {
    this.timer = setInterval(() => this.store.dispatch({ type: 'typing/expired', now: Date.now() }), 1_000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.retry.forEach(clearTimeout);
  }

  /** Receivers clear the indicator on a message: the next keystroke must notify again. */
  sent(convId: string): void {
    this.sentAt.delete(convId);
  }

  typing(convId: string): void {
    const last = this.sentAt.get(convId) ?? 0;
    if (Date.now() - last < 3_000) return;
    this.sentAt.set(convId, Date.now());
    postTyping(convId).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 429 && !this.retry.has(convId)) {
        this.retry.set(convId, setTimeout(() => {
          this.retry.delete(convId);
          this.sentAt.set(convId, Date.now());
          postTyping(convId).catch(() => {});
        }, 1_100));
      }
    });
  }
}
