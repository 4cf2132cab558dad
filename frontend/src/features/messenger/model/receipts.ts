//! Slice `receipts`, pure. Ticks: an own message is "delivered" when every other member's delivered (or read) position
//! has reached it, "read" likewise. Positions come from receipt events and are kept per user in
//! localStorage by an effect (the conversation object does not carry members' receipts).
//!
//! Policy for the receipts we send: only a message that verified may be acknowledged. A message
//! that failed verification (or is still being opened) is never the target of a delivered or
//! read receipt: the sender would see "delivered" for what we could not read, or someone else
//! forged. Receipts are cumulative, so the target is the newest verified message from others.

import type { Conversation } from '@/lib/api/types';
import type { MessengerEvent } from './events';
import { newestFrom } from './timeline';
import type { ChatMessage, Delivery, MessageContent, ReceiptPositions, ReceiptsState, Timeline } from './types';

type ConvReceipts = Record<string, ReceiptPositions>;

export function deliveryOf(msg: ChatMessage, conv: Conversation, meId: string, receipts: ConvReceipts | undefined): Delivery {
  if (msg.local === 'sending') return 'sending';
  if (msg.local === 'queued') return 'queued';
  if (msg.local === 'failed') return 'failed';
  if (msg.position === null) return 'sent';
  const others = conv.members.filter((m) => m.id !== meId);
  if (others.length === 0) return 'sent';
  const pos = msg.position;
  const all = (pick: (r: ReceiptPositions) => number) => others.every((m) => pick(receipts?.[m.id] ?? { delivered: 0, read: 0 }) >= pos);
  if (all((r) => r.read)) return 'read';
  if (all((r) => Math.max(r.delivered, r.read))) return 'delivered';
  return 'sent';
}

/** Verified and opened (text, attachments, flagged empty text or attachment content, an
 *  unsupported type, a telemetry batch even if its content was refused): may be acknowledged. */
export function acknowledgeable(m: { content: MessageContent }): boolean {
  const c = m.content;
  return c.kind === 'text' || c.kind === 'empty' || c.kind === 'unsupported' || c.kind === 'attachments' || c.kind === 'bad-content'
    || c.kind === 'series' || (c.kind === 'series-refused' && c.verified);
}

/** The message our next delivered/read receipt names: the newest verified one from someone else. */
export function receiptTarget(timeline: Timeline, meId: string): ChatMessage | null {
  return newestFrom(timeline, (m) => m.senderId !== meId && acknowledgeable(m));
}

export function applyReceipt(
  all: Record<string, ConvReceipts>,
  conversationId: string,
  userId: string,
  status: 'delivered' | 'read',
  position: number,
): Record<string, ConvReceipts> {
  const conv = all[conversationId] ?? {};
  const cur = conv[userId] ?? { delivered: 0, read: 0 };
  if (cur[status] >= position) return all;
  return { ...all, [conversationId]: { ...conv, [userId]: { ...cur, [status]: position } } };
}

export function applyReceipts(s: ReceiptsState, e: MessengerEvent): ReceiptsState {
  if (e.type !== 'stream' || e.event.type !== 'receipt') return s;
  const r = e.event;
  return applyReceipt(s, r.conversationId, r.userId, r.status, r.position);
}
