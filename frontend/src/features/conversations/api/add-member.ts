import { api } from '@/lib/api/client';
import type { AddMember, Conversation } from '@/lib/api/types';

/** POST /api/conversations/{id}/members (groups) → the conversation. */
export function addMember(conversationId: string, userId: string): Promise<Conversation> {
  const body: AddMember = { user_id: userId };
  return api.post<Conversation>(`/api/conversations/${encodeURIComponent(conversationId)}/members`, body);
}
