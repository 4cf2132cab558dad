import { api, query } from '@/lib/api/client';
import type { History } from '@/lib/api/types';
import { decodeMessage, type MessageObject } from '@/lib/events/decode';

export interface HistoryQuery {
  before?: number;
  limit?: number;
  since?: number;
  until?: number;
}

/** Ascending by position. Items are message objects (docs/protocol.md §5.5), decoded like events;
 *  a malformed item is dropped (the OpenAPI document leaves history items untyped). */
export async function listMessages(conversationId: string, q: HistoryQuery = {}): Promise<MessageObject[]> {
  const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages${query({ ...q })}`;
  const out: MessageObject[] = [];
  for (const item of (await api.get<History>(path)).messages) {
    const d = decodeMessage(item);
    if (d.ok) out.push(d.value);
  }
  return out;
}
