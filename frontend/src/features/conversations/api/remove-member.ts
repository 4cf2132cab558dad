import { api } from '@/lib/api/client';

/** Removing one's own id leaves the conversation. */
export function removeMember(conversationId: string, userId: string): Promise<void> {
  return api.delete<void>(`/api/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(userId)}`);
}
