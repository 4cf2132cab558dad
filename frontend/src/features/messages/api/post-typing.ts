import { api } from '@/lib/api/client';

export function postTyping(conversationId: string): Promise<void> {
  return api.post<void>(`/api/conversations/${encodeURIComponent(conversationId)}/typing`);
}
