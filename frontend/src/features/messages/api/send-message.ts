import { api } from '@/lib/api/client';
import type { Envelope, SendResult } from '@/lib/api/types';

/** Idempotent by the envelope's message_id: a retry answers the same. */
export function sendMessage(conversationId: string, envelope: Envelope): Promise<SendResult> {
  return api.post<SendResult>(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, { envelope });
}
