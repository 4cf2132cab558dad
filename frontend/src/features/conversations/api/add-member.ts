import { api } from '@/lib/api/client';
import type { Conversation } from '@/lib/api/types';
import { normalizeConversation } from '@/lib/api/normalize';

export function addMember(conversationId: string, userId: string): Promise<Conversation> {
  return api.post<Conversation>(`/api/conversations/${encodeURIComponent(conversationId)}/members`, { user_id: userId }).then(normalizeConversation);
}
