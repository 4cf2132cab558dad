//! Uploading one file (effect): prepare (name, type, image size and thumbnail), encrypt in the
//! worker as a stream of pieces, and send them with the resumable protocol of §8.4 as the pure
//! plan of ../model/upload.ts directs. Only the pieces the server has not confirmed are kept
//! (the one being sent and the one being encrypted ahead), so memory stays a few pieces whatever
//! the file size; after a failure the plan asks the server where it is and sends from there.

import { ApiError } from '@/lib/api/errors';
import {
  attachmentCiphertextSize, concat, randomBytes, type AttachmentDescriptor, type AttachmentSummary, type AttachmentThumbnail, type Bytes,
} from '@/lib/crypto';
import { KEY_LEN, MAX_IMAGE_DIMENSION } from '@/lib/protocol/constants';
import { appendUpload } from '../api/append-upload';
import { UploadApiError } from '../api/binary';
import { deleteAttachment } from '../api/delete-attachment';
import { startUpload } from '../api/start-upload';
import { uploadOffset } from '../api/upload-offset';
import type { UploadState } from '../api/upload-state';
import { isInlineImage, outgoingMediaType, outgoingName } from '../model/files';
import { afterOutcome, newUpload, nextRequest, retryUpload, type UploadError, type UploadOutcome, type UploadPhase, type UploadPlan } from '../model/upload';
import type { AttachmentCrypto, EncryptHandle } from '../worker/client';

/** Default bytes per request: a dropped connection loses at most this much. */
export const DEFAULT_PIECE_SIZE = 4 << 20;

/** A picked file, ready to encrypt: what its descriptor will say besides the crypto fields. */
export interface OutgoingFile {
  file: Blob;
  name: string;
  mediaType: string;
  width?: number;
  height?: number;
  thumbnail?: AttachmentThumbnail;
}

/** Name and type by the descriptor rules; for a raster image also its size and a thumbnail within `thumbnailBudget`. */
export async function prepareFile(file: File, crypto: AttachmentCrypto, thumbnailBudget: number): Promise<OutgoingFile> {
  const out: OutgoingFile = { file, name: outgoingName(file.name), mediaType: outgoingMediaType(file.type, file.name) };
  if (!isInlineImage(out.mediaType)) return out;
  const info = await crypto.imageInfo(file, thumbnailBudget).catch(() => null);
  if (!info) return out;
  if (info.width >= 1 && info.height >= 1 && info.width <= MAX_IMAGE_DIMENSION && info.height <= MAX_IMAGE_DIMENSION) {
    out.width = info.width;
    out.height = info.height;
  }
  if (info.thumbnail) out.thumbnail = info.thumbnail;
  return out;
}

/** The requests of §8.4; tests pass their own. */
export interface UploadTransport {
  start(length: number, body: Uint8Array, opts: RequestOpts): Promise<UploadState>;
  append(id: string, offset: number, body: Uint8Array, opts: RequestOpts): Promise<UploadState>;
  offset(id: string, signal: AbortSignal): Promise<number>;
  remove(id: string): Promise<void>;
}

interface RequestOpts {
  signal: AbortSignal;
  onUploadProgress: (loaded: number) => void;
}

export const httpTransport: UploadTransport = { start: startUpload, append: appendUpload, offset: uploadOffset, remove: deleteAttachment };

export interface UploaderDeps {
  crypto: AttachmentCrypto;
  transport?: UploadTransport;
  pieceSize?: number;
  /** Waits (backoff); rejects when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Resolves when the browser says it is online (a wait while offline counts as no failure). */
  whenOnline?: (signal: AbortSignal) => Promise<void>;
}

export interface UploadStatus {
  phase: UploadPhase;
  /** Ciphertext bytes the server has, plus those on their way. */
  sent: number;
  total: number;
  error: UploadError | null;
}

/** The upload stopped: see `error` (retry with `Uploader.start` when `error.retryable`). */
export class UploadFailed extends Error {
  constructor(readonly error: UploadError) {
    super(error.message);
    this.name = 'UploadFailed';
  }
}

export class UploadCancelled extends Error {
  constructor() {
    super('The upload was cancelled.');
    this.name = 'UploadCancelled';
  }
}

function abortable(signal: AbortSignal, run: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new UploadCancelled());
    let cleanup = () => {};
    const onAbort = () => {
      cleanup();
      reject(new UploadCancelled());
    };
    cleanup = run(() => {
      signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  abortable(signal, (done) => {
    const t = setTimeout(done, ms);
    return () => clearTimeout(t);
  });

const defaultWhenOnline = (signal: AbortSignal) =>
  typeof navigator === 'undefined' || navigator.onLine !== false || typeof window === 'undefined'
    ? Promise.resolve()
    : abortable(signal, (done) => {
        window.addEventListener('online', done, { once: true });
        return () => window.removeEventListener('online', done);
      });

/**
 * The ciphertext as pieces from the encryption job, from the first byte the server may still need
 * (`release` moves that on) to what has been encrypted. Encrypts one piece ahead of the request
 * being sent, so encryption and the network overlap.
 */
class CiphertextSource {
  private segments: { start: number; bytes: Bytes }[] = [];
  private produced = 0;
  private released = 0;
  private summary: AttachmentSummary | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly job: EncryptHandle, private readonly total: number, private readonly pieceSize: number) {}

  private ensure(upTo: number): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.produced < Math.min(upTo, this.total) && !this.summary) {
        const piece = await this.job.next();
        if (piece.bytes.length) this.segments.push({ start: this.produced, bytes: piece.bytes });
        this.produced += piece.bytes.length;
        if (piece.last) {
          this.summary = piece.summary;
          if (!this.summary || this.summary.ciphertextSize !== this.total || this.produced !== this.total) {
            throw new Error('the file changed while it was being encrypted');
          }
        }
      }
    });
    return this.chain;
  }

  /** Ciphertext bytes [from, to). */
  async read(from: number, to: number): Promise<Bytes> {
    if (from < this.released) throw new Error('those bytes were released');
    await this.ensure(to);
    void this.ensure(to + this.pieceSize).catch(() => {}); // the next piece, while this one is sent
    const parts: Uint8Array[] = [];
    for (const s of this.segments) {
      const end = s.start + s.bytes.length;
      if (end <= from || s.start >= to) continue;
      parts.push(s.bytes.subarray(Math.max(0, from - s.start), Math.min(s.bytes.length, to - s.start)));
    }
    const out = parts.length === 1 ? parts[0] : concat(...parts);
    if (out.length !== to - from) throw new Error('missing ciphertext bytes');
    return out as Bytes;
  }

  /** The server has every byte before `offset`: they are not needed again. */
  release(offset: number): void {
    this.released = Math.max(this.released, offset);
    this.segments = this.segments.filter((s) => s.start + s.bytes.length > this.released);
  }

  async finalSummary(): Promise<AttachmentSummary> {
    await this.ensure(this.total);
    if (!this.summary) throw new Error('the encryption did not finish');
    return this.summary;
  }

  close(): void {
    this.job.close();
    this.segments = [];
  }
}

/** What a failed request means for the plan. */
function outcomeOf(e: unknown, request: 'post' | 'patch' | 'head'): UploadOutcome {
  if (!(e instanceof ApiError)) return { kind: 'network' };
  if (e.status === 0) return { kind: 'network' };
  if (e.status === 409 && e instanceof UploadApiError) {
    if (e.code === 'offset_mismatch' && e.offset !== null) return { kind: 'offset', offset: e.offset };
    if (e.code === 'upload_complete') return { kind: 'complete' };
  }
  if (e.status === 404 && request !== 'post') return { kind: 'gone' };
  if (e.status === 429 || e.status >= 500) return { kind: 'busy', retryAfterMs: e.retryAfter !== null ? e.retryAfter * 1000 : null };
  if (e.status === 413) return { kind: 'refused', status: 413, message: 'This file is larger than the server accepts.' };
  if (e.status === 507) return { kind: 'refused', status: 507, message: 'Your storage on the server is full. Delete some attachments and try again.' };
  return { kind: 'refused', status: e.status, message: e.message || `The server refused the upload (${e.status}).` };
}

/**
 * One file's upload, from the first byte to the descriptor. `start` runs it, or resumes it after
 * a failure (a fresh encryption when the server lost it); `cancel` stops it and deletes what the
 * server has.
 */
export class Uploader {
  private readonly transport: UploadTransport;
  private readonly pieceSize: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly whenOnline: (signal: AbortSignal) => Promise<void>;
  private readonly total: number;
  private plan: UploadPlan;
  private key: Bytes | null = null;
  private source: CiphertextSource | null = null;
  private controller = new AbortController();
  private cancelled = false;
  private running: Promise<AttachmentDescriptor> | null = null;
  private inFlight = 0;
  private status: UploadStatus;

  constructor(private readonly file: OutgoingFile, private readonly deps: UploaderDeps, private readonly onStatus: (s: UploadStatus) => void = () => {}) {
    this.transport = deps.transport ?? httpTransport;
    this.pieceSize = deps.pieceSize ?? DEFAULT_PIECE_SIZE;
    this.sleep = deps.sleep ?? defaultSleep;
    this.whenOnline = deps.whenOnline ?? defaultWhenOnline;
    const total = attachmentCiphertextSize(file.file.size);
    if (total === null) throw new Error('this file is too large');
    this.total = total;
    this.plan = newUpload(total, this.pieceSize);
    this.status = { phase: 'encrypting', sent: 0, total, error: null };
  }

  get attachmentId(): string | null {
    return this.plan.id;
  }

  /** Runs the upload, or resumes it after a failure; the same promise while it runs. */
  start(): Promise<AttachmentDescriptor> {
    if (this.cancelled) return Promise.reject(new UploadCancelled());
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Stops the upload and deletes the partial (or complete but unsent) attachment on the server. */
  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.controller.abort();
    this.source?.close();
    this.source = null;
    this.key?.fill(0);
    this.report('cancelled');
    const id = this.plan.id;
    if (id) await this.transport.remove(id).catch(() => {}); // gone already, or swept after its TTL
  }

  private report(phase: UploadPhase): void {
    const sent = phase === 'done' ? this.total : Math.min(this.total, this.plan.offset + this.inFlight);
    this.status = { phase, sent, total: this.total, error: phase === 'failed' ? this.plan.error : null };
    this.onStatus(this.status);
  }

  private async run(): Promise<AttachmentDescriptor> {
    if (this.plan.state === 'failed') {
      if (this.plan.error?.restart) this.reset();
      else this.plan = retryUpload(this.plan);
    }
    if (!this.source) {
      this.key = randomBytes(KEY_LEN);
      this.report('encrypting');
      const job = await this.deps.crypto.encrypt(this.file.file, this.key, this.pieceSize);
      if (this.cancelled) {
        job.close();
        throw new UploadCancelled();
      }
      this.source = new CiphertextSource(job, this.total, this.pieceSize);
    }
    const source = this.source;
    const signal = this.controller.signal;
    try {
      for (;;) {
        const req = nextRequest(this.plan);
        if (req.kind === 'done') {
          const summary = await source.finalSummary();
          this.report('done');
          return this.descriptor(req.id, summary);
        }
        if (req.kind === 'failed') {
          this.report('failed');
          throw new UploadFailed(req.error);
        }
        if (req.waitMs > 0) {
          this.report('retrying');
          await this.sleep(req.waitMs, signal);
        }
        if (typeof navigator !== 'undefined' && navigator.onLine === false) this.report('offline');
        await this.whenOnline(signal);
        let body: Uint8Array | null = null;
        if (req.kind !== 'head') {
          try {
            body = await source.read(req.from, req.to);
          } catch (e) {
            if (this.cancelled) throw new UploadCancelled();
            this.plan = { ...this.plan, state: 'failed', error: { message: `Could not read the file: ${e instanceof Error ? e.message : String(e)}`, retryable: false, restart: false } };
            continue;
          }
        }
        this.report('uploading');
        const opts: RequestOpts = {
          signal,
          onUploadProgress: (loaded) => {
            this.inFlight = loaded;
            this.report('uploading');
          },
        };
        let outcome: UploadOutcome;
        try {
          if (req.kind === 'post') {
            const s = await this.transport.start(this.total, body as Uint8Array, opts);
            outcome = { kind: 'stored', id: s.attachment_id, offset: s.offset, complete: s.complete };
          } else if (req.kind === 'patch') {
            const s = await this.transport.append(req.id, req.from, body as Uint8Array, opts);
            outcome = { kind: 'stored', id: s.attachment_id, offset: s.offset, complete: s.complete };
          } else {
            outcome = { kind: 'offset', offset: await this.transport.offset(req.id, signal) };
          }
        } catch (e) {
          if (this.cancelled || signal.aborted) throw new UploadCancelled();
          outcome = outcomeOf(e, req.kind);
        } finally {
          this.inFlight = 0;
        }
        this.plan = afterOutcome(this.plan, outcome);
        source.release(this.plan.offset);
      }
    } catch (e) {
      if (this.cancelled) throw new UploadCancelled();
      throw e;
    }
  }

  /** Starts over: the server no longer has the upload, so a new key, a new encryption, a new id. */
  private reset(): void {
    this.source?.close();
    this.source = null;
    this.key?.fill(0);
    this.key = null;
    this.plan = newUpload(this.total, this.pieceSize);
  }

  private descriptor(id: string, summary: AttachmentSummary): AttachmentDescriptor {
    const f = this.file;
    const d: AttachmentDescriptor = {
      attachmentId: id,
      key: this.key as Bytes,
      sha256: summary.sha256,
      name: f.name,
      mediaType: f.mediaType,
      size: summary.size,
      ciphertextSize: summary.ciphertextSize,
    };
    if (f.width !== undefined && f.height !== undefined) {
      d.width = f.width;
      d.height = f.height;
    }
    if (f.thumbnail) d.thumbnail = f.thumbnail;
    return d;
  }
}
