import { api } from '@/lib/api/client';
import type { Conversation } from '@/lib/api/types';
import { normalizeConversation } from '@/lib/api/normalize';

/** One other member = direct (the existing one is returned); more = group. */
export function createConversation(memberIds: string[], title?: string): Promise<Conversation> {
  return api.post<Conversation>('/api/conversations', { member_ids: memberIds, ...(title ? { title } : {}) }).then(normalizeConversation);
}
