//! Ticks: an own message is "delivered" when every other member's delivered (or read) position
//! has reached it, "read" likewise. Positions come from receipt events and are kept per user in
//! localStorage (the conversation object does not carry members' receipts).

import type { Conversation } from '@/lib/api/types';
import type { ChatMessage, Delivery, ReceiptPositions } from './types';

type ConvReceipts = Record<string, ReceiptPositions>;

export function deliveryOf(msg: ChatMessage, conv: Conversation, meId: string, receipts: ConvReceipts | undefined): Delivery {
  if (msg.local === 'sending') return 'sending';
  if (msg.local === 'failed') return 'failed';
  if (msg.position === null) return 'sent';
  const others = conv.members.filter((m) => m.user_id !== meId);
  if (others.length === 0) return 'sent';
  const pos = msg.position;
  const all = (pick: (r: ReceiptPositions) => number) => others.every((m) => pick(receipts?.[m.user_id] ?? { delivered: 0, read: 0 }) >= pos);
  if (all((r) => r.read)) return 'read';
  if (all((r) => Math.max(r.delivered, r.read))) return 'delivered';
  return 'sent';
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

const key = (userId: string) => `courier:receipts:${userId}`;

export function loadReceipts(userId: string): Record<string, ConvReceipts> {
  try {
    return JSON.parse(localStorage.getItem(key(userId)) ?? '{}') as Record<string, ConvReceipts>;
  } catch {
    return {};
  }
}

export function saveReceipts(userId: string, receipts: Record<string, ConvReceipts>): void {
  try {
    localStorage.setItem(key(userId), JSON.stringify(receipts));
  } catch {
    /* storage full or disabled: ticks fall back to what events say this session */
  }
}
