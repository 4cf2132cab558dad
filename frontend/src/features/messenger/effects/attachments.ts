//! Effects of attachments: uploading the files of a message being sent (prepare, encrypt in the
//! worker, resumable upload; cancel and retry per file), fetching and checking received ones,
//! saving verified files, and the object URLs of verified images (made here, revoked here).
//! Every change is reported to the model (slice `transfers`).

import {
  attachmentCrypto, DEFAULT_PIECE_SIZE, downloadKey, DownloadError, downloadVerified, isInlineImage, outgoingMediaType,
  outgoingName, prepareFile, saveName, thumbnailBudget, UploadCancelled, UploadFailed, Uploader, type AttachmentCrypto, type UploadStatus,
} from '@/features/attachments';
import { attachmentCiphertextSize, type AttachmentDescriptor } from '@/lib/crypto';
import type { UploadItem } from '../model';
import type { MessengerStore } from '../store';

/** Progress is reported at most this often (phase changes at once). */
const PROGRESS_MS = 100;
/** Downloads at a time. */
const PARALLEL_DOWNLOADS = 2;
/** Uploads at a time (each holds about two pieces in memory). */
const PARALLEL_UPLOADS = 2;

/**
 * Bytes per upload request. A test hook: `localStorage["courier.uploadPieceBytes"]` (64 KiB to
 * 64 MiB) makes pieces smaller, so an end-to-end test sees a multi-MiB file in several requests.
 */
export function uploadPieceSize(): number {
  try {
    const v = Number(globalThis.localStorage?.getItem('courier.uploadPieceBytes'));
    if (Number.isSafeInteger(v) && v >= 64 << 10 && v <= 64 << 20) return v;
  } catch {
    /* no storage */
  }
  return DEFAULT_PIECE_SIZE;
}

interface FileRun {
  messageId: string;
  localId: string;
  file: File;
  uploader: Uploader | null;
  cancelled: boolean;
  /** Set while the upload waits, failed, for Retry or Cancel. */
  wake: (() => void) | null;
}

/** Runs `work` over `items`, at most `n` at a time; results in order. */
async function pool<T, R>(items: T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

export class AttachmentEffects {
  private readonly runs = new Map<string, FileRun>();
  /** Verified plaintext kept for showing (object URL) or saving again, by downloadKey. */
  private readonly verified = new Map<string, { blob: Blob; url: string | null }>();
  private readonly active = new Map<string, AbortController>();
  private readonly waiting: (() => Promise<void>)[] = [];
  private downloading = 0;
  private stopped = false;

  constructor(
    private readonly store: MessengerStore,
    private readonly crypto: () => AttachmentCrypto = attachmentCrypto,
  ) {}

  // ---- uploads ---------------------------------------------------------------------------

  /**
   * Uploads the files of own message `messageId` and resolves to the descriptors of those that
   * were not cancelled, in order (none: every file was cancelled). A failed file waits for Retry
   * or Cancel. `captionBytes`: the caption's JSON string size, which shares the content with the
   * thumbnails.
   */
  async upload(messageId: string, files: File[], captionBytes: number): Promise<AttachmentDescriptor[]> {
    const runs: FileRun[] = files.map((file) => ({ messageId, localId: crypto.randomUUID(), file, uploader: null, cancelled: false, wake: null }));
    for (const r of runs) this.runs.set(r.localId, r);
    const items: UploadItem[] = runs.map((r) => {
      const mediaType = outgoingMediaType(r.file.type, r.file.name);
      return {
        localId: r.localId, name: outgoingName(r.file.name), mediaType, size: r.file.size, thumbnail: null, phase: 'encrypting',
        sent: 0, total: attachmentCiphertextSize(r.file.size) ?? 0, error: null,
      };
    });
    this.store.dispatch({ type: 'uploads/added', messageId, files: items });
    const images = items.filter((i) => isInlineImage(i.mediaType)).length;
    const budget = thumbnailBudget(images, files.length, captionBytes);
    try {
      const results = await pool(runs, PARALLEL_UPLOADS, (r) => this.runOne(r, budget));
      return results.filter((d): d is AttachmentDescriptor => d !== null);
    } finally {
      for (const r of runs) this.runs.delete(r.localId);
    }
  }

  private async runOne(run: FileRun, budget: number): Promise<AttachmentDescriptor | null> {
    const report = this.reporter(run);
    try {
      const prepared = await prepareFile(run.file, this.crypto(), budget);
      if (run.cancelled) return null;
      this.store.dispatch({
        type: 'upload/prepared', messageId: run.messageId, localId: run.localId,
        meta: { width: prepared.width, height: prepared.height, thumbnail: prepared.thumbnail ?? null },
      });
      run.uploader = new Uploader(prepared, { crypto: this.crypto(), pieceSize: uploadPieceSize() }, report);
    } catch (e) {
      report({ phase: 'failed', sent: 0, total: 0, error: { message: `Could not prepare the file: ${e instanceof Error ? e.message : String(e)}`, retryable: false, restart: false } });
      await new Promise<void>((resolve) => (run.wake = resolve));
      return null; // only Cancel wakes it
    }
    const uploader = run.uploader;
    for (;;) {
      if (run.cancelled) return null;
      try {
        const d = await uploader.start();
        this.seed(d, run.file);
        return d;
      } catch (e) {
        if (e instanceof UploadCancelled || run.cancelled) return null;
        if (!(e instanceof UploadFailed)) {
          report({ phase: 'failed', sent: 0, total: 0, error: { message: e instanceof Error ? e.message : 'The upload failed.', retryable: true, restart: false } });
        }
        await new Promise<void>((resolve) => (run.wake = resolve));
        run.wake = null;
      }
    }
  }

  /** Status reports for the model: phase changes at once, progress at most every PROGRESS_MS. */
  private reporter(run: FileRun): (s: UploadStatus) => void {
    let last = 0;
    let phase = '';
    return (s) => {
      if (run.cancelled || this.stopped) return;
      const now = Date.now();
      if (s.phase === phase && now - last < PROGRESS_MS) return;
      last = now;
      phase = s.phase;
      this.store.dispatch({ type: 'upload/status', messageId: run.messageId, localId: run.localId, status: { phase: s.phase, sent: s.sent, total: s.total, error: s.error } });
    };
  }

  /** Stops one file's upload, deletes what the server has of it, and takes it out of the message. */
  cancelUpload(messageId: string, localId: string): void {
    const run = this.runs.get(localId);
    if (!run || run.messageId !== messageId || run.cancelled) return;
    run.cancelled = true;
    void run.uploader?.cancel();
    run.wake?.();
    this.store.dispatch({ type: 'upload/removed', messageId, localId });
  }

  /** Cancels every file of a message (it is being deleted before it was sent). */
  cancelMessage(messageId: string): void {
    for (const r of [...this.runs.values()]) if (r.messageId === messageId) this.cancelUpload(messageId, r.localId);
  }

  /** Resumes a failed upload (from the server's offset, or from scratch if the server lost it). */
  retryUpload(messageId: string, localId: string): void {
    const run = this.runs.get(localId);
    if (run?.messageId === messageId) run.wake?.();
  }

  /** Our own uploaded file is what we encrypted: shown and saved from here, never fetched back. */
  private seed(d: AttachmentDescriptor, file: File): void {
    const key = downloadKey(d);
    if (this.verified.has(key)) return;
    const inline = isInlineImage(d.mediaType);
    const blob = file.slice(0, file.size, inline ? d.mediaType : 'application/octet-stream');
    const url = inline ? URL.createObjectURL(blob) : null;
    this.verified.set(key, { blob, url });
    this.store.dispatch({ type: 'download/changed', key, item: { state: 'verified', received: d.ciphertextSize, total: d.ciphertextSize, url, message: null } });
  }

  // ---- downloads -------------------------------------------------------------------------

  /** Fetches and checks an attachment (queued, two at a time); `save` then saves it. */
  download(d: AttachmentDescriptor, opts: { save: boolean }): void {
    const key = downloadKey(d);
    if (this.stopped || this.active.has(key)) return;
    const kept = this.verified.get(key);
    if (kept) {
      if (opts.save) saveBlob(kept.blob, d.name);
      return;
    }
    const ctrl = new AbortController();
    this.active.set(key, ctrl);
    this.store.dispatch({ type: 'download/changed', key, item: { state: 'downloading', received: 0, total: d.ciphertextSize, url: null, message: null } });
    this.enqueue(async () => {
      let last = 0;
      try {
        const blob = await downloadVerified(d, this.crypto(), {
          signal: ctrl.signal,
          onProgress: (received, total) => {
            const now = Date.now();
            if (now - last < PROGRESS_MS) return;
            last = now;
            this.store.dispatch({ type: 'download/changed', key, item: { state: 'downloading', received, total, url: null, message: null } });
          },
        });
        if (this.stopped) return;
        const inline = isInlineImage(d.mediaType);
        const url = inline ? URL.createObjectURL(blob) : null;
        // Images stay (they are on screen); a file is saved to disk and not kept in memory.
        if (inline) this.verified.set(key, { blob, url });
        this.store.dispatch({ type: 'download/changed', key, item: { state: 'verified', received: d.ciphertextSize, total: d.ciphertextSize, url, message: null } });
        if (opts.save) saveBlob(blob, d.name);
      } catch (e) {
        if (this.stopped) return;
        const kind = e instanceof DownloadError ? e.kind : 'network';
        if (kind === 'cancelled') {
          this.store.dispatch({ type: 'download/changed', key, item: null });
          return;
        }
        const state = kind === 'damaged' ? 'damaged' : kind === 'unavailable' ? 'unavailable' : 'failed';
        this.store.dispatch({ type: 'download/changed', key, item: { state, received: 0, total: d.ciphertextSize, url: null, message: e instanceof Error ? e.message : null } });
      } finally {
        this.active.delete(key);
      }
    });
  }

  /** Saves a verified attachment (fetching and checking it again if it is not kept). */
  save(d: AttachmentDescriptor): void {
    this.download(d, { save: true });
  }

  private enqueue(job: () => Promise<void>): void {
    this.waiting.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.downloading < PARALLEL_DOWNLOADS && this.waiting.length) {
      const job = this.waiting.shift() as () => Promise<void>;
      this.downloading += 1;
      void job().finally(() => {
        this.downloading -= 1;
        this.pump();
      });
    }
  }

  /** A deleted message's attachments: nothing of them kept, their object URLs revoked. */
  forget(descriptors: AttachmentDescriptor[]): void {
    for (const d of descriptors) {
      const key = downloadKey(d);
      this.active.get(key)?.abort();
      const kept = this.verified.get(key);
      if (kept?.url) URL.revokeObjectURL(kept.url);
      this.verified.delete(key);
      this.store.dispatch({ type: 'download/changed', key, item: null });
    }
  }

  /** Signing out: stop everything, revoke every object URL, forget every plaintext. */
  stop(): void {
    this.stopped = true;
    for (const c of this.active.values()) c.abort();
    this.active.clear();
    this.waiting.length = 0;
    for (const r of [...this.runs.values()]) {
      r.cancelled = true;
      void r.uploader?.cancel();
      r.wake?.();
    }
    for (const v of this.verified.values()) if (v.url) URL.revokeObjectURL(v.url);
    this.verified.clear();
  }
}

/** Saves through a download link: the plaintext as `application/octet-stream` (never rendered),
 *  under a name made safe for the file system (§11.5). */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob.type === 'application/octet-stream' ? blob : blob.slice(0, blob.size, 'application/octet-stream'));
  const a = document.createElement('a');
  a.href = url;
  a.download = saveName(name);
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has taken the bytes by then; the URL must outlive the click, not the session.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
