//! The page's side of the attachment worker: one shared module Worker (Vite bundles
//! ./attachment.worker.ts as its own file, allowed by the CSP's `script-src 'self'`), calls as
//! promises. Where no Worker can be made (unit tests, an old browser) the same jobs run in the
//! page, slower for the page but the same bytes.

import type { AttachmentSummary, Bytes } from '@/lib/crypto';
import { DecryptJob, EncryptJob, fromWireError, imageInfo, type EncryptPiece, type ExpectedCiphertext, type ImageInfo } from './jobs';
import type { WorkerRequest, WorkerResponse, WorkerResult } from './protocol';

export type { ExpectedCiphertext, ImageInfo };

export interface EncryptHandle {
  /** The next ciphertext piece; await each before asking again. */
  next(): Promise<EncryptPiece>;
  /** Forget the job (cancel). */
  close(): void;
}

export interface DecryptHandle {
  /** More ciphertext; await each before pushing again. */
  push(bytes: Uint8Array): Promise<void>;
  /** The verified plaintext, or an `AttachmentError`. */
  finish(): Promise<Blob>;
  /** Discard (cancel). */
  close(): void;
}

export interface AttachmentCrypto {
  imageInfo(file: Blob, budget: number): Promise<ImageInfo | null>;
  encrypt(file: Blob, fileKey: Bytes, pieceSize: number): Promise<EncryptHandle>;
  decrypt(expected: ExpectedCiphertext, blobType: string): Promise<DecryptHandle>;
}

/** Runs the jobs in the calling thread. */
export class InlineCrypto implements AttachmentCrypto {
  imageInfo(file: Blob, budget: number): Promise<ImageInfo | null> {
    return imageInfo(file, budget);
  }

  async encrypt(file: Blob, fileKey: Bytes, pieceSize: number): Promise<EncryptHandle> {
    const job = await EncryptJob.create(file, fileKey, pieceSize);
    return { next: () => job.next(), close: () => {} };
  }

  async decrypt(expected: ExpectedCiphertext, blobType: string): Promise<DecryptHandle> {
    const job = new DecryptJob(expected, blobType);
    return { push: (b) => job.push(b), finish: () => job.finish(), close: () => job.discard() };
  }
}

type Pending = { resolve: (r: WorkerResult) => void; reject: (e: Error) => void };
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Bytes whose buffer can be handed over whole (transferred, not copied). */
function own(bytes: Uint8Array): Bytes {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? (bytes as Bytes)
    : new Uint8Array(bytes);
}

/** Runs the jobs in a module Worker. */
export class WorkerCrypto implements AttachmentCrypto {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextJob = 1;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      const res = e.data;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(fromWireError(res.error));
    };
    worker.onerror = (e) => {
      const err = new Error(`attachment worker failed: ${e.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private call(req: Request, transfer: Transferable[] = []): Promise<WorkerResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as WorkerRequest, transfer);
    });
  }

  async imageInfo(file: Blob, budget: number): Promise<ImageInfo | null> {
    const r = await this.call({ op: 'image-info', file, budget });
    return r.kind === 'image-info' ? r.info : null;
  }

  async encrypt(file: Blob, fileKey: Bytes, pieceSize: number): Promise<EncryptHandle> {
    const job = this.nextJob++;
    await this.call({ op: 'encrypt-start', job, file, key: new Uint8Array(fileKey), pieceSize });
    return {
      next: async () => {
        const r = await this.call({ op: 'encrypt-next', job });
        if (r.kind !== 'piece') throw new Error('unexpected answer from the attachment worker');
        return { bytes: r.bytes, last: r.last, summary: r.summary as AttachmentSummary | null };
      },
      close: () => void this.call({ op: 'close', job }).catch(() => {}),
    };
  }

  async decrypt(expected: ExpectedCiphertext, blobType: string): Promise<DecryptHandle> {
    const job = this.nextJob++;
    await this.call({ op: 'decrypt-start', job, expected, blobType });
    return {
      push: async (bytes) => {
        const b = own(bytes);
        await this.call({ op: 'decrypt-push', job, bytes: b }, [b.buffer]);
      },
      finish: async () => {
        const r = await this.call({ op: 'decrypt-finish', job });
        if (r.kind !== 'blob') throw new Error('unexpected answer from the attachment worker');
        return r.blob;
      },
      close: () => void this.call({ op: 'close', job }).catch(() => {}),
    };
  }
}

let shared: AttachmentCrypto | null = null;

/** The page's attachment crypto: the shared worker, or in-page jobs where Workers are missing. */
export function attachmentCrypto(): AttachmentCrypto {
  if (shared) return shared;
  try {
    if (typeof Worker !== 'function') throw new Error('no Worker');
    shared = new WorkerCrypto(new Worker(new URL('./attachment.worker.ts', import.meta.url), { type: 'module', name: 'attachments' }));
  } catch {
    shared = new InlineCrypto();
  }
  return shared;
}
