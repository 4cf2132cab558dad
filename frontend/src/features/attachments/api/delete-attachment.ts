import { binaryRequest } from './binary';

/** `DELETE /api/attachments/{id}` (the uploader): a cancelled upload, or an attachment no longer wanted. */
export async function deleteAttachment(id: string): Promise<void> {
  await binaryRequest({ method: 'DELETE', path: `/api/attachments/${encodeURIComponent(id)}` });
}
