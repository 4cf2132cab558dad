//! Fetching and checking one attachment (effect, docs/protocol.md §11.5): the ciphertext streams
//! from the server into the worker's decryptor for the descriptor; the plaintext comes back as a
//! Blob only when every chunk, the size and the SHA-256 checked. A 404 is "unavailable" (deleted,
//! expired, or not shared with us); any check failing is "damaged", and nothing of it is kept.

import { ApiError } from '@/lib/api/errors';
import { AttachmentError, concat, type AttachmentDescriptor } from '@/lib/crypto';
import { downloadAttachment } from '../api/download-attachment';
import { isInlineImage } from '../model/files';
import type { AttachmentCrypto } from '../worker/client';

export type DownloadFailure = 'unavailable' | 'damaged' | 'network' | 'cancelled';

export class DownloadError extends Error {
  constructor(readonly kind: DownloadFailure, message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** Ciphertext handed to the worker at a time (fewer, larger messages). */
const BATCH = 256 << 10;

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (received: number, total: number) => void;
  /** The GET; tests pass their own. */
  fetchCiphertext?: (id: string, signal?: AbortSignal) => Promise<Response>;
}

/**
 * The verified plaintext of `d`. Raster images get their media type (to be drawn); every other
 * file is `application/octet-stream`, so the browser can only ever save it, never render it.
 */
export async function downloadVerified(d: AttachmentDescriptor, crypto: AttachmentCrypto, opts: DownloadOptions = {}): Promise<Blob> {
  const get = opts.fetchCiphertext ?? downloadAttachment;
  const cancelled = () => opts.signal?.aborted === true;
  let res: Response;
  try {
    res = await get(d.attachmentId, opts.signal);
  } catch (e) {
    if (cancelled()) throw new DownloadError('cancelled', 'The download was cancelled.');
    if (e instanceof ApiError && e.status === 404) throw new DownloadError('unavailable', 'Attachment unavailable');
    throw new DownloadError('network', e instanceof Error ? e.message : 'The download failed.');
  }
  if (!res.body) throw new DownloadError('network', 'The download has no body.');
  const handle = await crypto.decrypt({ key: d.key, sha256: d.sha256, size: d.size, ciphertextSize: d.ciphertextSize }, isInlineImage(d.mediaType) ? d.mediaType : 'application/octet-stream');
  const reader = res.body.getReader();
  let received = 0;
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async () => {
    if (!batched) return;
    const bytes = batch.length === 1 ? batch[0] : concat(...batch);
    batch = [];
    batched = 0;
    await handle.push(bytes);
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        if (cancelled()) throw new DownloadError('cancelled', 'The download was cancelled.');
        throw new DownloadError('network', 'The connection was lost during the download.');
      }
      if (chunk.done) break;
      received += chunk.value.length;
      batch.push(chunk.value);
      batched += chunk.value.length;
      // More than the descriptor's size: refused at once, without reading the rest (§11.3 step 4).
      if (batched >= BATCH || received > d.ciphertextSize) await flush();
      opts.onProgress?.(Math.min(received, d.ciphertextSize), d.ciphertextSize);
    }
    await flush();
    return await handle.finish();
  } catch (e) {
    handle.close();
    void reader.cancel().catch(() => {});
    if (e instanceof DownloadError) throw e;
    if (e instanceof AttachmentError) throw new DownloadError('damaged', `Could not verify (${e.code})`);
    throw new DownloadError('network', e instanceof Error ? e.message : 'The download failed.');
  }
}
