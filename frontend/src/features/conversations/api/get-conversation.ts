import { api } from '@/lib/api/client';
import type { Conversation } from '@/lib/api/types';
import { normalizeConversation } from '@/lib/api/normalize';

export function getConversation(id: string): Promise<Conversation> {
  return api.get<Conversation>(`/api/conversations/${encodeURIComponent(id)}`).then(normalizeConversation);
}
