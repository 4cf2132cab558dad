//! Uploads and downloads end to end against an in-memory server with the semantics of §8.4
//! (offsets, 409, 404, bodies that count only when they end), the in-page crypto jobs, and
//! failures injected per request: dropped before the server, answer lost after the commit, 503.
import { describe, expect, it } from 'vitest';
import { ApiError } from '@/lib/api/errors';
import { attachmentCiphertextSize, concat, parseAttachmentMessage, serializeAttachmentMessage, toBase64, type AttachmentDescriptor, type Bytes } from '@/lib/crypto';
import { UploadApiError } from '../api/binary';
import type { UploadState } from '../api/upload-state';
import { MAX_FAILURES } from '../model/upload';
import { InlineCrypto } from '../worker/client';
import { DownloadError, downloadVerified } from './downloader';
import { UploadCancelled, UploadFailed, Uploader, type UploadTransport } from './uploader';

type Fault = 'drop-before' | 'drop-after' | 'busy' | 'gone' | null;
type Req = { method: 'POST' | 'PATCH' | 'HEAD' | 'DELETE'; id?: string; offset?: number; length?: number };

/** The server of §8.4 in memory, with a fault plan: `faults(request, n)` for the n-th request. */
class FakeServer implements UploadTransport {
  uploads = new Map<string, { size: number; parts: Uint8Array[]; received: number }>();
  log: (Req & { fault: Fault; committed: boolean })[] = [];
  constructor(private readonly faults: (r: Req, n: number) => Fault = () => null) {}

  private gate(r: Req): Fault {
    const fault = this.faults(r, this.log.length);
    this.log.push({ ...r, fault, committed: false });
    if (fault === 'drop-before') throw new ApiError(0, 'network', 'dropped');
    if (fault === 'busy') throw new UploadApiError(503, 'unavailable', 'busy', 1, null);
    if (fault === 'gone') throw new UploadApiError(404, 'not_found', 'not found', null, null);
    return fault;
  }

  private commit(id: string, offset: number, body: Uint8Array, fault: Fault): UploadState {
    const u = this.uploads.get(id);
    if (!u) throw new UploadApiError(404, 'not_found', 'not found', null, null);
    if (u.received === u.size) throw new UploadApiError(409, 'upload_complete', 'complete', null, u.received);
    if (offset !== u.received) throw new UploadApiError(409, 'offset_mismatch', 'offset', null, u.received);
    if (u.received + body.length > u.size) throw new UploadApiError(413, 'too_large', 'too large', null, null);
    u.parts.push(body.slice());
    u.received += body.length;
    this.log[this.log.length - 1].committed = true;
    if (fault === 'drop-after') throw new ApiError(0, 'network', 'answer lost');
    return { attachment_id: id, size: u.size, offset: u.received, complete: u.received === u.size };
  }

  async start(length: number, body: Uint8Array): Promise<UploadState> {
    const fault = this.gate({ method: 'POST', length });
    const id = crypto.randomUUID();
    this.uploads.set(id, { size: length, parts: [], received: 0 });
    return this.commit(id, 0, body, fault);
  }

  async append(id: string, offset: number, body: Uint8Array): Promise<UploadState> {
    const fault = this.gate({ method: 'PATCH', id, offset, length: body.length });
    return this.commit(id, offset, body, fault);
  }

  async offset(id: string): Promise<number> {
    this.gate({ method: 'HEAD', id });
    const u = this.uploads.get(id);
    if (!u) throw new UploadApiError(404, 'not_found', 'not found', null, null);
    return u.received;
  }

  async remove(id: string): Promise<void> {
    this.log.push({ method: 'DELETE', id, fault: null, committed: true });
    if (!this.uploads.delete(id)) throw new UploadApiError(404, 'not_found', 'not found', null, null);
  }

  bytes(id: string): Bytes {
    return concat(...(this.uploads.get(id)?.parts ?? []));
  }

  /** GET as the download route answers it. */
  fetch = async (id: string): Promise<Response> => {
    const u = this.uploads.get(id);
    if (!u || u.received !== u.size) throw new ApiError(404, 'not_found', 'not found');
    return new Response(this.bytes(id));
  };
}

const cryptoJobs = new InlineCrypto();
const noWait = { sleep: async () => {}, whenOnline: async () => {} };

function file(len: number, seed = 7): Blob {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 31 + seed) % 251;
  return new Blob([out]);
}

async function plain(b: Blob): Promise<string> {
  return toBase64(new Uint8Array(await b.arrayBuffer()));
}

function uploader(server: FakeServer, blob: Blob, pieceSize = 64 << 10) {
  const phases: string[] = [];
  const u = new Uploader({ file: blob, name: 'f.bin', mediaType: 'application/octet-stream' }, { crypto: cryptoJobs, transport: server, pieceSize, ...noWait }, (s) => phases.push(s.phase));
  return { u, phases };
}

describe('uploads', () => {
  it('send a small file in one request; the descriptor names the ciphertext the server holds', async () => {
    const server = new FakeServer();
    const blob = file(1_000);
    const d = await uploader(server, blob).u.start();
    expect(server.log.map((r) => r.method)).toEqual(['POST']);
    expect(d.size).toBe(1_000);
    expect(d.ciphertextSize).toBe(attachmentCiphertextSize(1_000));
    expect(server.bytes(d.attachmentId).length).toBe(d.ciphertextSize);
    expect(await plain(await downloadVerified(d, cryptoJobs, { fetchCiphertext: server.fetch }))).toBe(await plain(blob));
    // What the message will carry passes the reader's rules.
    expect(parseAttachmentMessage(serializeAttachmentMessage({ attachments: [d] })).attachments[0].attachmentId).toBe(d.attachmentId);
  });

  it('resume after a dropped request and after a lost answer: every byte reaches the server once', async () => {
    // Request 2 (the 2nd PATCH) never reaches the server; request 5's body is committed but its answer is lost.
    const server = new FakeServer((_r, n) => (n === 2 ? 'drop-before' : n === 5 ? 'drop-after' : null));
    const blob = file(600_000);
    const { u, phases } = uploader(server, blob, 100_000);
    const d = await u.start();
    expect(server.log.map((r) => `${r.method}${r.offset !== undefined ? ` ${r.offset}` : ''}${r.fault ? ` (${r.fault})` : ''}`)).toEqual([
      'POST', 'PATCH 100000', 'PATCH 200000 (drop-before)', 'HEAD', 'PATCH 200000', 'PATCH 300000 (drop-after)', 'HEAD',
      'PATCH 400000', 'PATCH 500000', 'PATCH 600000',
    ]);
    const committed = server.log.filter((r) => r.committed).map((r) => r.offset ?? 0);
    expect(new Set(committed).size).toBe(committed.length);
    expect(phases).toContain('retrying');
    expect(await plain(await downloadVerified(d, cryptoJobs, { fetchCiphertext: server.fetch }))).toBe(await plain(blob));
  });

  it('a connection that keeps failing stops as failed; retrying resumes from the server offset', async () => {
    let failing = true;
    const server = new FakeServer((r) => (failing && r.method === 'PATCH' && r.offset === 200_000 ? 'drop-before' : failing && r.method === 'HEAD' ? 'busy' : null));
    const blob = file(300_000);
    const { u } = uploader(server, blob, 100_000);
    const err = await u.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadFailed);
    expect((err as UploadFailed).error).toMatchObject({ retryable: true, restart: false });
    expect(server.log.filter((r) => r.fault).length).toBe(MAX_FAILURES);
    failing = false;
    const before = server.log.length;
    const d = await u.start();
    expect(server.log.slice(before).map((r) => r.method + (r.offset !== undefined ? ` ${r.offset}` : ''))).toEqual(['HEAD', 'PATCH 200000', 'PATCH 300000']);
    expect(await plain(await downloadVerified(d, cryptoJobs, { fetchCiphertext: server.fetch }))).toBe(await plain(blob));
  });

  it('an upload the server lost starts over with a new key and id on retry', async () => {
    let gone = true;
    const server = new FakeServer((r) => (gone && r.method === 'PATCH' ? 'gone' : null));
    const blob = file(150_000);
    const { u } = uploader(server, blob, 100_000);
    const err = await u.start().catch((e: unknown) => e);
    expect((err as UploadFailed).error).toMatchObject({ restart: true });
    const firstId = server.log[0].id ?? [...server.uploads.keys()][0];
    gone = false;
    const d = await u.start();
    expect(d.attachmentId).not.toBe(firstId);
    expect(await plain(await downloadVerified(d, cryptoJobs, { fetchCiphertext: server.fetch }))).toBe(await plain(blob));
  });

  it('cancel stops sending and deletes the partial upload on the server', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = new FakeServer();
    const slow: UploadTransport = {
      ...server,
      start: (l, b) => server.start(l, b),
      offset: (id) => server.offset(id),
      remove: (id) => server.remove(id),
      append: async (id, offset, body, opts) => {
        await Promise.race([held, new Promise((_, reject) => opts.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))]);
        return server.append(id, offset, body);
      },
    };
    const u = new Uploader({ file: file(300_000), name: 'f', mediaType: 'application/octet-stream' }, { crypto: cryptoJobs, transport: slow, pieceSize: 100_000, ...noWait });
    const running = u.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(u.attachmentId).not.toBeNull();
    const id = u.attachmentId as string;
    await u.cancel();
    release();
    await expect(running).rejects.toBeInstanceOf(UploadCancelled);
    expect(server.uploads.has(id)).toBe(false);
    expect(server.log.at(-1)).toMatchObject({ method: 'DELETE', id });
    await expect(u.start()).rejects.toBeInstanceOf(UploadCancelled);
  });

  it('a refusal (too large) is final', async () => {
    const server = new FakeServer();
    const refusing: UploadTransport = { ...server, start: async () => Promise.reject(new UploadApiError(413, 'too_large', 'limit', null, null)), append: server.append.bind(server), offset: server.offset.bind(server), remove: server.remove.bind(server) };
    const u = new Uploader({ file: file(10), name: 'f', mediaType: 'application/octet-stream' }, { crypto: cryptoJobs, transport: refusing, ...noWait });
    const err = await u.start().catch((e: unknown) => e);
    expect((err as UploadFailed).error).toMatchObject({ retryable: false });
  });
});

describe('downloads', () => {
  async function uploaded(len: number): Promise<{ server: FakeServer; d: AttachmentDescriptor; blob: Blob }> {
    const server = new FakeServer();
    const blob = file(len, 3);
    const d = await uploader(server, blob, 1 << 20).u.start();
    return { server, d, blob };
  }

  it('report progress and give the plaintext only after it verified', async () => {
    const { server, d, blob } = await uploaded(200_000);
    const seen: number[] = [];
    const got = await downloadVerified(d, cryptoJobs, { fetchCiphertext: server.fetch, onProgress: (r) => seen.push(r) });
    expect(await plain(got)).toBe(await plain(blob));
    expect(seen.at(-1)).toBe(d.ciphertextSize);
    expect(got.type).toBe('application/octet-stream');
  });

  it('a changed byte, a cut, an extra byte or another file are "damaged", never a result', async () => {
    const { server, d } = await uploaded(150_000);
    const good = server.bytes(d.attachmentId);
    const flipped = good.slice();
    flipped[100_000] ^= 1;
    const other = await uploaded(150_000);
    const variants: Record<string, Uint8Array> = {
      flipped, cut: good.subarray(0, good.length - 70_000), extra: concat(good, new Uint8Array([0])),
      'another file under another key': other.server.bytes(other.d.attachmentId),
    };
    for (const [what, bytes] of Object.entries(variants)) {
      const err = await downloadVerified(d, cryptoJobs, { fetchCiphertext: async () => new Response(bytes as Bytes) }).catch((e: unknown) => e);
      expect(err, what).toBeInstanceOf(DownloadError);
      expect((err as DownloadError).kind, what).toBe('damaged');
    }
  });

  it('a 404 is "unavailable"; a network failure can be retried', async () => {
    const { d } = await uploaded(10);
    const missing = await downloadVerified(d, cryptoJobs, { fetchCiphertext: async () => Promise.reject(new ApiError(404, 'not_found', 'x')) }).catch((e: unknown) => e);
    expect((missing as DownloadError).kind).toBe('unavailable');
    const offline = await downloadVerified(d, cryptoJobs, { fetchCiphertext: async () => Promise.reject(new ApiError(0, 'network', 'x')) }).catch((e: unknown) => e);
    expect((offline as DownloadError).kind).toBe('network');
  });

  it('raster images keep their type (to be drawn); anything else is only ever octet-stream', async () => {
    const { server, d } = await uploaded(100);
    for (const [claimed, type] of [['image/png', 'image/png'], ['image/svg+xml', 'application/octet-stream'], ['text/html', 'application/octet-stream']]) {
      const got = await downloadVerified({ ...d, mediaType: claimed }, cryptoJobs, { fetchCiphertext: server.fetch });
      expect(got.type, claimed).toBe(type);
    }
  });
});
