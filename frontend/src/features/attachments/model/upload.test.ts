//! The resume logic of uploads: which request comes after each answer (or failure) of the server.
import { describe, expect, it } from 'vitest';
import { afterOutcome, backoffMs, MAX_FAILURES, newUpload, nextRequest, retryUpload, uploadProgress, type UploadOutcome, type UploadPlan } from './upload';

const ID = '0b7f4c1e-2f49-4a4e-9d0f-2a8e2b9e6c11';
const run = (p: UploadPlan, outcomes: UploadOutcome[]) => outcomes.reduce(afterOutcome, p);

describe('upload plan', () => {
  it('sends a small file in one POST', () => {
    const p = newUpload(1_000, 4_096);
    expect(nextRequest(p)).toEqual({ kind: 'post', from: 0, to: 1_000, waitMs: 0 });
    const done = afterOutcome(p, { kind: 'stored', id: ID, offset: 1_000, complete: true });
    expect(nextRequest(done)).toEqual({ kind: 'done', id: ID });
  });

  it('sends a large file as a POST and PATCHes of at most one piece, each at the server offset', () => {
    let p = newUpload(10, 4);
    const asked = [];
    for (;;) {
      const r = nextRequest(p);
      asked.push(r.kind === 'post' || r.kind === 'patch' ? `${r.kind} ${r.from}-${r.to}` : r.kind);
      if (r.kind !== 'post' && r.kind !== 'patch') break;
      p = afterOutcome(p, { kind: 'stored', id: ID, offset: r.to, complete: r.to === 10 });
    }
    expect(asked).toEqual(['post 0-4', 'patch 4-8', 'patch 8-10', 'done']);
  });

  it('after a dropped PATCH asks the server (HEAD) and continues from its offset, not from its own', () => {
    let p = run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]);
    expect(nextRequest(p)).toMatchObject({ kind: 'patch', from: 4, to: 8 });
    p = afterOutcome(p, { kind: 'network' });
    expect(nextRequest(p)).toEqual({ kind: 'head', id: ID, waitMs: backoffMs(1) });
    // The body was committed although the answer was lost: the next PATCH starts after it.
    const committed = afterOutcome(p, { kind: 'offset', offset: 8 });
    expect(nextRequest(committed)).toEqual({ kind: 'patch', id: ID, from: 8, to: 12, waitMs: 0 });
    expect(committed.failures).toBe(0);
    // Not committed: the same piece again.
    const lost = afterOutcome(p, { kind: 'offset', offset: 4 });
    expect(nextRequest(lost)).toMatchObject({ kind: 'patch', from: 4, to: 8 });
    expect(lost.failures).toBe(1);
  });

  it('takes the offset of a 409 offset_mismatch, and a 409 upload_complete as done', () => {
    const p = run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]);
    expect(nextRequest(afterOutcome(p, { kind: 'offset', offset: 8 }))).toMatchObject({ kind: 'patch', from: 8 });
    expect(nextRequest(afterOutcome(p, { kind: 'offset', offset: 12 }))).toEqual({ kind: 'done', id: ID });
    expect(nextRequest(afterOutcome(p, { kind: 'complete' }))).toEqual({ kind: 'done', id: ID });
  });

  it('starts again with a POST when the first request fails (there is no id to resume)', () => {
    const p = afterOutcome(newUpload(12, 4), { kind: 'network' });
    expect(nextRequest(p)).toEqual({ kind: 'post', from: 0, to: 4, waitMs: backoffMs(1) });
  });

  it('backs off exponentially, honours Retry-After, and stops after MAX_FAILURES without progress', () => {
    let p = run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]);
    const waits: number[] = [];
    for (let i = 0; i < MAX_FAILURES - 1; i++) {
      p = afterOutcome(p, { kind: 'network' });
      const head = nextRequest(p);
      expect(head.kind).toBe('head');
      if (head.kind === 'head') waits.push(head.waitMs);
      p = afterOutcome(p, { kind: 'offset', offset: 4 }); // no progress
    }
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
    p = afterOutcome(p, { kind: 'network' });
    expect(nextRequest(p)).toMatchObject({ kind: 'failed', error: { retryable: true, restart: false } });
    const busy = afterOutcome(run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]), { kind: 'busy', retryAfterMs: 3_000 });
    expect(nextRequest(busy)).toEqual({ kind: 'head', id: ID, waitMs: 3_000 });
  });

  it('progress clears the failure count', () => {
    let p = run(newUpload(20, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]);
    for (let i = 0; i < 20; i++) {
      p = afterOutcome(p, { kind: 'network' });
      p = afterOutcome(p, { kind: 'offset', offset: Math.min(20, 4 + i) });
      if (p.state === 'done' || p.state === 'failed') break;
    }
    expect(p.state).toBe('done');
  });

  it('a failed upload resumes on request from the server offset; one gone from the server must restart', () => {
    let p = run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }]);
    for (let i = 0; i < MAX_FAILURES; i++) p = afterOutcome(p, { kind: 'network' });
    expect(p.state).toBe('failed');
    expect(nextRequest(afterOutcome(p, { kind: 'offset', offset: 8 }))).toMatchObject({ kind: 'failed' }); // stays failed until asked
    const resumed = retryUpload(p);
    expect(nextRequest(resumed)).toEqual({ kind: 'head', id: ID, waitMs: 0 });
    const gone = afterOutcome(resumed, { kind: 'gone' });
    expect(nextRequest(gone)).toMatchObject({ kind: 'failed', error: { retryable: true, restart: true } });
    expect(retryUpload(gone)).toBe(gone); // the driver starts a new upload instead
  });

  it('reports refusals: too large is final, over quota may be retried', () => {
    const tooLarge = afterOutcome(newUpload(12, 4), { kind: 'refused', status: 413, message: 'attachments are limited to 100 bytes' });
    expect(nextRequest(tooLarge)).toEqual({ kind: 'failed', error: { message: 'attachments are limited to 100 bytes', retryable: false, restart: false } });
    expect(retryUpload(tooLarge)).toBe(tooLarge);
    const quota = afterOutcome(newUpload(12, 4), { kind: 'refused', status: 507, message: 'quota' });
    expect(nextRequest(retryUpload(quota))).toMatchObject({ kind: 'post', from: 0 });
  });

  it('refuses impossible offsets from the server instead of sending from them', () => {
    const p = run(newUpload(12, 4), [{ kind: 'stored', id: ID, offset: 4, complete: false }, { kind: 'network' }]);
    expect(nextRequest(afterOutcome(p, { kind: 'offset', offset: 13 }))).toMatchObject({ kind: 'failed', error: { restart: true } });
    expect(nextRequest(afterOutcome(p, { kind: 'offset', offset: -1 }))).toMatchObject({ kind: 'failed' });
  });

  it('counts progress as committed bytes plus the request in flight', () => {
    const p = run(newUpload(100, 40), [{ kind: 'stored', id: ID, offset: 40, complete: false }]);
    expect(uploadProgress(p)).toBe(0.4);
    expect(uploadProgress(p, 20)).toBe(0.6);
    expect(uploadProgress(p, 1_000)).toBe(1);
  });
});
