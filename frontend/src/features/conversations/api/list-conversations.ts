import { api } from '@/lib/api/client';
import type { Conversation, ConversationList } from '@/lib/api/types';

/** GET /api/conversations — newest activity first. */
export async function listConversations(): Promise<Conversation[]> {
  return (await api.get<ConversationList>('/api/conversations')).conversations;
}
