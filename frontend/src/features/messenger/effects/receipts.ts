//! Effect: the receipts we send (docs/protocol.md §5.7). "delivered" shortly after verified
//! messages from others arrive; "read" only for what was actually on screen: the message list
//! reports (IntersectionObserver) how far the reader has seen, and "read" goes no further, only
//! while the conversation is open and the page visible (`document.visibilityState`). Only ever
//! naming a verified message (see model/receipts.ts, model/attention.ts). Network and timers here.
import { postReceipt } from '@/features/messages';
import { readTarget, receiptTarget } from '../model';
import type { MessengerStore } from '../store';

export class ReceiptEffects {
  private deliveredPosted = new Map<string, number>();
  private deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** conversation id → the newest position shown on screen while the page was visible. */
  private seenUpTo = new Map<string, number>();

  constructor(
    private readonly store: MessengerStore,
    private readonly meId: string,
  ) {}

  stop(): void {
    this.deliveredTimers.forEach(clearTimeout);
  }

  scheduleDelivered(convId: string): void {
    if (this.deliveredTimers.has(convId)) return;
    this.deliveredTimers.set(convId, setTimeout(() => {
      this.deliveredTimers.delete(convId);
      const t = this.store.get().timelines[convId];
      const newest = t && receiptTarget(t, this.meId);
      if (!newest || newest.position === null) return;
      if ((this.deliveredPosted.get(convId) ?? 0) >= newest.position) return;
      this.deliveredPosted.set(convId, newest.position);
      postReceipt(convId, 'delivered', newest.id).catch(() => this.deliveredPosted.delete(convId));
    }, 300));
  }

  /** The message list showed messages up to `position` (the page visible): read them. */
  seen(convId: string, position: number): void {
    if (document.visibilityState !== 'visible') return;
    if ((this.seenUpTo.get(convId) ?? 0) >= position) return;
    this.seenUpTo.set(convId, position);
    this.markRead(convId);
  }

  /** Posts "read" up to what was seen, when the conversation is open and the page is visible. */
  markRead(convId: string): void {
    const s = this.store.get();
    if (s.conversations.activeId !== convId || document.visibilityState !== 'visible') return;
    const conv = s.conversations.byId[convId];
    const t = s.timelines[convId];
    if (!conv || !t) return;
    const newest = readTarget(t, this.meId, this.seenUpTo.get(convId) ?? 0);
    const readUpTo = conv.read_up_to ?? 0;
    const anything = receiptTarget(t, this.meId);
    if (newest && newest.position !== null && newest.position > readUpTo) {
      this.store.dispatch({ type: 'conversation/read', conversationId: convId, position: newest.position });
      postReceipt(convId, 'read', newest.id).catch(() => this.store.dispatch({ type: 'conversation/read-reverted', conversationId: convId, readUpTo }));
    } else if (conv.unread_count && (anything?.position ?? 0) <= readUpTo) {
      // Counted as unread but nothing readable is left (e.g. it failed to verify).
      this.store.dispatch({ type: 'conversation/unread-cleared', conversationId: convId });
    }
  }
}
