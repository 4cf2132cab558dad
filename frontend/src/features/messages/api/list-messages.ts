import { api, query } from '@/lib/api/client';
import type { WireMessage } from '@/lib/api/types';

export interface HistoryQuery {
  before?: number;
  limit?: number;
  since?: number;
  until?: number;
}

/** Ascending by position. */
export async function listMessages(conversationId: string, q: HistoryQuery = {}): Promise<WireMessage[]> {
  const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages${query({ ...q })}`;
  return (await api.get<{ messages: WireMessage[] }>(path)).messages;
}
