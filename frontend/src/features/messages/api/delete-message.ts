import { api } from '@/lib/api/client';

/** Delete for everyone (sender only). */
export function deleteMessage(conversationId: string, messageId: string): Promise<void> {
  return api.delete<void>(`/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`);
}
