import { api } from '@/lib/api/client';
import type { ReceiptRequest } from '@/lib/api/types';

/** Cumulative: the server never moves a receipt back. */
export function postReceipt(conversationId: string, status: 'delivered' | 'read', upTo: string): Promise<void> {
  const body: ReceiptRequest = { status, up_to: upTo };
  return api.post<void>(`/api/conversations/${encodeURIComponent(conversationId)}/receipts`, body);
}
