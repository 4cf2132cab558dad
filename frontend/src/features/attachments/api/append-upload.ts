import { binaryRequest } from './binary';
import { uploadState, type UploadState } from './upload-state';

/** `PATCH /api/attachments/{id}`: appends `body` at `offset`, which must be the server's (§8.4). */
export async function appendUpload(id: string, offset: number, body: Uint8Array, opts: { signal?: AbortSignal; onUploadProgress?: (n: number) => void } = {}): Promise<UploadState> {
  const res = await binaryRequest({
    method: 'PATCH',
    path: `/api/attachments/${encodeURIComponent(id)}`,
    headers: { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body,
    ...opts,
  });
  return uploadState(res.json);
}
