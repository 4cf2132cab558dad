import { api } from '@/lib/api/client';
import type { Conversation, CreateConversation } from '@/lib/api/types';

/** One other member = direct (the existing one is returned); more = group. */
export function createConversation(memberIds: string[], title?: string): Promise<Conversation> {
  const body: CreateConversation = { member_ids: memberIds, ...(title ? { title } : {}) };
  return api.post<Conversation>('/api/conversations', body);
}
