import { ApiError } from '@/lib/api/errors';
import { binaryRequest } from './binary';

/** `HEAD /api/attachments/{id}`: the bytes the server has committed (`Upload-Offset`). */
export async function uploadOffset(id: string, signal?: AbortSignal): Promise<number> {
  const res = await binaryRequest({ method: 'HEAD', path: `/api/attachments/${encodeURIComponent(id)}`, signal });
  const offset = res.header('Upload-Offset');
  if (offset === null || !/^\d{1,16}$/.test(offset)) throw new ApiError(502, 'bad_answer', 'The server sent no upload offset.');
  return Number(offset);
}
