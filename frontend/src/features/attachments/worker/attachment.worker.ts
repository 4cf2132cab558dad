//! The attachment worker: encryption, hashing, decryption and thumbnails off the main thread, so
//! a 100 MiB file never freezes the page. A thin dispatcher over ./jobs.ts (see ./protocol.ts).
import { DecryptJob, EncryptJob, imageInfo, toWireError } from './jobs';
import type { WorkerRequest, WorkerResponse, WorkerResult } from './protocol';

/** The worker's global scope, typed by hand: the DOM and WebWorker libs cannot both be loaded. */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
};

const jobs = new Map<number, EncryptJob | DecryptJob>();

function encryption(id: number): EncryptJob {
  const j = jobs.get(id);
  if (!(j instanceof EncryptJob)) throw new Error(`no encryption job ${id}`);
  return j;
}

function decryption(id: number): DecryptJob {
  const j = jobs.get(id);
  if (!(j instanceof DecryptJob)) throw new Error(`no decryption job ${id}`);
  return j;
}

async function handle(req: WorkerRequest): Promise<{ result: WorkerResult; transfer: Transferable[] }> {
  switch (req.op) {
    case 'image-info':
      return { result: { kind: 'image-info', info: await imageInfo(req.file, req.budget) }, transfer: [] };
    case 'encrypt-start':
      jobs.set(req.job, await EncryptJob.create(req.file, req.key, req.pieceSize));
      req.key.fill(0);
      return { result: { kind: 'ok' }, transfer: [] };
    case 'encrypt-next': {
      const piece = await encryption(req.job).next();
      if (piece.last) jobs.delete(req.job);
      return { result: { kind: 'piece', ...piece }, transfer: [piece.bytes.buffer] };
    }
    case 'decrypt-start':
      jobs.set(req.job, new DecryptJob(req.expected, req.blobType));
      return { result: { kind: 'ok' }, transfer: [] };
    case 'decrypt-push':
      await decryption(req.job).push(req.bytes);
      return { result: { kind: 'ok' }, transfer: [] };
    case 'decrypt-finish': {
      const j = decryption(req.job);
      jobs.delete(req.job);
      return { result: { kind: 'blob', blob: await j.finish() }, transfer: [] };
    }
    case 'close': {
      const j = jobs.get(req.job);
      if (j instanceof DecryptJob) j.discard();
      jobs.delete(req.job);
      return { result: { kind: 'ok' }, transfer: [] };
    }
  }
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  handle(req).then(
    ({ result, transfer }) => scope.postMessage({ id: req.id, ok: true, result } satisfies WorkerResponse, transfer),
    (err: unknown) => {
      if ('job' in req) jobs.delete(req.job);
      scope.postMessage({ id: req.id, ok: false, error: toWireError(err) } satisfies WorkerResponse);
    },
  );
};
