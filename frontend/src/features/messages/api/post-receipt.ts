import { api } from '@/lib/api/client';
import type { ReceiptStatus } from '@/lib/api/types';

/** Cumulative: the server never moves a receipt back. */
export function postReceipt(conversationId: string, status: ReceiptStatus, upTo: string): Promise<void> {
  return api.post<void>(`/api/conversations/${encodeURIComponent(conversationId)}/receipts`, { status, up_to: upTo });
}
