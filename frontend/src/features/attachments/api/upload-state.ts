import type { components } from '@/lib/api/schema.gen';
import { ApiError } from '@/lib/api/errors';

/** `UploadState` (OpenAPI), checked: an answer that is not one is a server fault, not a number to send from. */
export type UploadState = components['schemas']['UploadState'];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function uploadState(v: unknown): UploadState {
  const o = v as Partial<UploadState> | null;
  if (
    !o || typeof o.attachment_id !== 'string' || !UUID_RE.test(o.attachment_id) || !Number.isSafeInteger(o.size) || !Number.isSafeInteger(o.offset) ||
    typeof o.complete !== 'boolean'
  ) {
    throw new ApiError(502, 'bad_answer', 'The server sent an unexpected answer.');
  }
  return { attachment_id: o.attachment_id, size: o.size as number, offset: o.offset as number, complete: o.complete };
}
