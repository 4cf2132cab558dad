import { binaryRequest } from './binary';
import { uploadState, type UploadState } from './upload-state';

/** `POST /api/attachments`: starts an upload of `length` ciphertext bytes with its first `body` bytes (§8.4). */
export async function startUpload(length: number, body: Uint8Array, opts: { signal?: AbortSignal; onUploadProgress?: (n: number) => void } = {}): Promise<UploadState> {
  const res = await binaryRequest({
    method: 'POST',
    path: '/api/attachments',
    headers: { 'Upload-Length': String(length), 'Content-Type': 'application/octet-stream' },
    body,
    ...opts,
  });
  return uploadState(res.json);
}
