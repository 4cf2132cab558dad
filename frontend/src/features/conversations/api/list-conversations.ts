import { api } from '@/lib/api/client';
import type { Conversation } from '@/lib/api/types';
import { normalizeConversation } from '@/lib/api/normalize';

export async function listConversations(): Promise<Conversation[]> {
  return (await api.get<{ conversations: Conversation[] }>('/api/conversations')).conversations.map(normalizeConversation);
}
