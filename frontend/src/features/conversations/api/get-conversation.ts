import { api } from '@/lib/api/client';
import type { Conversation } from '@/lib/api/types';

/** GET /api/conversations/{id} — 404 for non-members, exactly as for a missing one. */
export function getConversation(id: string): Promise<Conversation> {
  return api.get<Conversation>(`/api/conversations/${encodeURIComponent(id)}`);
}
