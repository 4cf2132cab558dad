import { api } from '@/lib/api/client';
import type { EnvelopeBody, PostedMessage, PostMessage } from '@/lib/api/types';

/** Idempotent by the envelope's message_id: a retry answers the same. `attachmentIds`: the
 *  uploads the message's content names (docs/protocol.md §8.4); posting them is what lets the
 *  recipients fetch them. */
export function sendMessage(conversationId: string, envelope: EnvelopeBody, attachmentIds: string[] = []): Promise<PostedMessage> {
  const body: PostMessage = attachmentIds.length ? { envelope, attachment_ids: attachmentIds } : { envelope };
  return api.post<PostedMessage>(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, body);
}
