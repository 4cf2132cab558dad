import { fetchCiphertext } from './binary';

/** `GET /api/attachments/{id}`: the ciphertext as a stream (404 unless it was shared with us, §8.4). */
export function downloadAttachment(id: string, signal?: AbortSignal): Promise<Response> {
  return fetchCiphertext(`/api/attachments/${encodeURIComponent(id)}`, signal);
}
