import { api } from '@/lib/api/client';
import type { EnvelopeBody, PostedMessage, PostMessage } from '@/lib/api/types';

/** Idempotent by the envelope's message_id: a retry answers the same. */
export function sendMessage(conversationId: string, envelope: EnvelopeBody): Promise<PostedMessage> {
  const body: PostMessage = { envelope };
  return api.post<PostedMessage>(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, body);
}
