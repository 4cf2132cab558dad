//! Effect: the receipts we send (docs/protocol.md §5.7). "delivered" shortly after verified
//! messages from others arrive, "read" when their conversation is open and the page visible;
//! only ever naming a verified message (see model/receipts.ts). Network and timers live here.
import { postReceipt } from '@/features/messages';
import { receiptTarget } from '../model';
import type { MessengerStore } from '../store';

export class ReceiptEffects {
  private deliveredPosted = new Map<string, number>();
  private deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();

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

  /** Posts "read" when the conversation is open and the page is visible. */
  markRead(convId: string): void {
    const s = this.store.get();
    if (s.conversations.activeId !== convId || document.visibilityState !== 'visible') return;
    const conv = s.conversations.byId[convId];
    const t = s.timelines[convId];
    if (!conv || !t) return;
    const newest = receiptTarget(t, this.meId);
    const readUpTo = conv.read_up_to ?? 0;
    if (newest && newest.position !== null && newest.position > readUpTo) {
      this.store.dispatch({ type: 'conversation/read', conversationId: convId, position: newest.position });
      postReceipt(convId, 'read', newest.id).catch(() => this.store.dispatch({ type: 'conversation/read-reverted', conversationId: convId, readUpTo }));
    } else if (conv.unread_count) {
      this.store.dispatch({ type: 'conversation/unread-cleared', conversationId: convId });
    }
  }
}
