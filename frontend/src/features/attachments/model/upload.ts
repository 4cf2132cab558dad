//! The resumable upload of one ciphertext (docs/protocol.md §8.4) as a pure state machine: the
//! plan says which request comes next (`nextRequest`), the driver (effects/uploader.ts) makes it
//! and reports what happened (`afterOutcome`). No I/O and no clock here, so every path of the
//! resume logic is a unit test.
//!
//! - The first request is `POST` with `Upload-Length` and the first piece; later pieces are
//!   `PATCH` at the server's offset, `pieceSize` bytes at most.
//! - A request that fails on the way (network, 5xx, 429, 503) may or may not have been committed:
//!   once the upload has an id, the next request is `HEAD` for the server's offset, and sending
//!   continues from there (never from where the client thought it was). A failed `POST` has no
//!   id: it starts again (the server drops an upload whose first body failed).
//! - A `409 offset_mismatch` is as good as a `HEAD`; `409 upload_complete` means done.
//! - Failures without progress are bounded (`MAX_FAILURES`, exponential backoff, `Retry-After`
//!   honoured); then the upload stops as failed and `retryUpload` resumes it on request.
//! - `404` on `PATCH`/`HEAD` means the upload is gone (expired, deleted): it must start over with a
//!   new encryption (`restart`). A refusal (413, 415, 400, 507) is reported as it is.

/** What an upload is doing, as shown: encrypting (before the first request), sending, waiting to
 *  try again, waiting for the network, stopped on a failure, finished, cancelled. */
export type UploadPhase = 'encrypting' | 'uploading' | 'retrying' | 'offline' | 'failed' | 'done' | 'cancelled';

/** Consecutive failures without progress before the upload stops and waits for the person. */
export const MAX_FAILURES = 6;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;

export interface UploadError {
  message: string;
  /** Worth trying again (a refusal such as "too large" is not). */
  retryable: boolean;
  /** The server no longer has the upload: a retry starts a new one from the first byte. */
  restart: boolean;
}

export interface UploadPlan {
  /** Ciphertext bytes (`Upload-Length`). */
  readonly total: number;
  readonly pieceSize: number;
  /** The server's id once the `POST` was answered. */
  readonly id: string | null;
  /** Bytes the server has committed, as last reported. */
  readonly offset: number;
  /** Consecutive failures without progress. */
  readonly failures: number;
  readonly state: 'start' | 'send' | 'check' | 'done' | 'failed';
  /** Wait this long before the next request (backoff, Retry-After). */
  readonly waitMs: number;
  readonly error: UploadError | null;
}

export type UploadRequest =
  | { kind: 'post'; from: 0; to: number; waitMs: number }
  | { kind: 'patch'; id: string; from: number; to: number; waitMs: number }
  | { kind: 'head'; id: string; waitMs: number }
  | { kind: 'done'; id: string }
  | { kind: 'failed'; error: UploadError };

export type UploadOutcome =
  /** `201`/`200`: the body was committed; the server's state. */
  | { kind: 'stored'; id: string; offset: number; complete: boolean }
  /** `HEAD` answered, or `409 offset_mismatch`: the server's offset. */
  | { kind: 'offset'; offset: number }
  /** `409 upload_complete`. */
  | { kind: 'complete' }
  /** The connection failed or was dropped; the server may or may not have the body. */
  | { kind: 'network' }
  /** `429`, `503` or another 5xx: try again later (`retryAfterMs` when the server said). */
  | { kind: 'busy'; retryAfterMs: number | null }
  /** `404` on `PATCH` or `HEAD`: the upload is gone. */
  | { kind: 'gone' }
  /** A refusal that another try would not change (400, 413, 415) or might after a change (507). */
  | { kind: 'refused'; status: number; message: string };

export function newUpload(total: number, pieceSize: number): UploadPlan {
  if (!Number.isSafeInteger(total) || total < 1) throw new Error('an upload has at least one byte');
  if (!Number.isSafeInteger(pieceSize) || pieceSize < 1) throw new Error('the piece size must be positive');
  return { total, pieceSize, id: null, offset: 0, failures: 0, state: 'start', waitMs: 0, error: null };
}

/** The next request for this plan. */
export function nextRequest(p: UploadPlan): UploadRequest {
  const end = (from: number) => Math.min(p.total, from + p.pieceSize);
  switch (p.state) {
    case 'start':
      return { kind: 'post', from: 0, to: end(0), waitMs: p.waitMs };
    case 'send':
      return { kind: 'patch', id: p.id as string, from: p.offset, to: end(p.offset), waitMs: p.waitMs };
    case 'check':
      return { kind: 'head', id: p.id as string, waitMs: p.waitMs };
    case 'done':
      return { kind: 'done', id: p.id as string };
    case 'failed':
      return { kind: 'failed', error: p.error as UploadError };
  }
}

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

function failed(p: UploadPlan, error: UploadError): UploadPlan {
  return { ...p, state: 'failed', waitMs: 0, error };
}

/** A failure that may be passing: back off, then ask the server where it is (or start again). */
function transient(p: UploadPlan, waitMs: number | null): UploadPlan {
  const failures = p.failures + 1;
  if (failures >= MAX_FAILURES) {
    return failed({ ...p, failures }, { message: 'The connection keeps failing.', retryable: true, restart: false });
  }
  return { ...p, failures, state: p.id ? 'check' : 'start', waitMs: waitMs ?? backoffMs(failures) };
}

/** The server's offset is `offset`: done, or send from there. Progress clears the failure count. */
function at(p: UploadPlan, offset: number, id: string | null = p.id): UploadPlan {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > p.total) {
    return failed(p, { message: 'The server reported an impossible upload offset.', retryable: true, restart: true });
  }
  const failures = offset > p.offset ? 0 : p.failures;
  return { ...p, id, offset, failures, state: offset === p.total ? 'done' : 'send', waitMs: 0, error: null };
}

/** The plan after `outcome` of the request `nextRequest(p)` asked for. */
export function afterOutcome(p: UploadPlan, outcome: UploadOutcome): UploadPlan {
  if (p.state === 'done' || p.state === 'failed') return p;
  switch (outcome.kind) {
    case 'stored': {
      const next = at(p, outcome.offset, outcome.id);
      if (next.state === 'failed') return next;
      if (outcome.complete !== (outcome.offset === p.total)) return { ...next, state: 'check' };
      // A committed body that moved nothing forward: count it, or a confused server loops forever.
      return outcome.offset > p.offset || next.state === 'done' ? next : transient(next, null);
    }
    case 'offset':
      // A HEAD that shows no progress keeps the failure count: a loop of failures still ends.
      return at(p, outcome.offset);
    case 'complete':
      return at(p, p.total);
    case 'network':
      return transient(p, null);
    case 'busy':
      return transient(p, outcome.retryAfterMs);
    case 'gone':
      return failed(p, { message: 'The server no longer has this upload.', retryable: true, restart: true });
    case 'refused': {
      const final = outcome.status === 413 || outcome.status === 415 || outcome.status === 400;
      return failed(p, { message: outcome.message, retryable: !final, restart: false });
    }
  }
}

/** Resume a failed upload on request: ask the server where it is (or start again without an id). */
export function retryUpload(p: UploadPlan): UploadPlan {
  if (p.state !== 'failed' || !p.error?.retryable || p.error.restart) return p;
  return { ...p, failures: 0, waitMs: 0, error: null, state: p.id ? 'check' : 'start' };
}

/** Share of the file sent: committed bytes plus what is on its way in the current request. */
export function uploadProgress(p: UploadPlan, inFlight = 0): number {
  return Math.min(1, (p.offset + Math.max(0, inFlight)) / p.total);
}
