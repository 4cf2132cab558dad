// Browser attachment crypto throughput, in Chromium: the built attachment worker (the same file
// the app runs) encrypts and hashes a 100 MiB file, then decrypts and verifies it, the way the app
// drives it (4 MiB pieces out, 256 KiB pushes in). Prints MB/s for each, and the longest pause of
// the page's main thread meanwhile (the work is in the worker: the page must stay responsive).
//   npm run build && npm run bench:attachments        [BENCH_MIB=100] [BENCH_RUNS=3]
// Needs no Courier server: dist/ is served on http://127.0.0.1 (a secure context, so WebCrypto).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { launch } from './harness.mjs';

const DIST = new URL('../dist/', import.meta.url).pathname;
const MIB = Number(process.env.BENCH_MIB ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
if (!existsSync(DIST)) {
  console.error('no dist/: run `npm run build` first');
  process.exit(1);
}
const worker = readdirSync(join(DIST, 'assets')).find((f) => /^attachment\.worker-.*\.js$/.test(f));
if (!worker) {
  console.error('no attachment worker in dist/assets: run `npm run build`');
  process.exit(1);
}

const types = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css' };
const server = createServer((req, res) => {
  if (req.url === '/bench.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><title>attachment bench</title>');
  }
  const path = normalize(join(DIST, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!path.startsWith(DIST) || !existsSync(path)) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
  res.end(readFileSync(path));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`${origin}/bench.html`);
  const version = browser.version();
  console.log(`attachment crypto in Chromium ${version}, worker ${worker}, ${MIB} MiB file, ${RUNS} runs`);
  const results = [];
  for (let run = 0; run < RUNS; run++) {
    const r = await page.evaluate(
      async ({ url, mib }) => {
        const g = globalThis;
        const w = new g.Worker(url, { type: 'module' });
        let id = 0;
        const pending = new Map();
        w.onmessage = (e) => {
          const p = pending.get(e.data.id);
          pending.delete(e.data.id);
          if (e.data.ok) p.resolve(e.data.result);
          else p.reject(new Error(e.data.error.message));
        };
        const call = (msg, transfer = []) =>
          new Promise((resolve, reject) => {
            const n = ++id;
            pending.set(n, { resolve, reject });
            w.postMessage({ ...msg, id: n }, transfer);
          });
        // The page's main thread: the longest gap between 10 ms ticks while the worker works.
        const watch = () => {
          let last = g.performance.now();
          let worst = 0;
          const t = g.setInterval(() => {
            const now = g.performance.now();
            worst = Math.max(worst, now - last);
            last = now;
          }, 10);
          return () => {
            g.clearInterval(t);
            return worst;
          };
        };
        const size = mib * 1024 * 1024;
        const parts = [];
        for (let off = 0; off < size; off += 65536) parts.push(g.crypto.getRandomValues(new Uint8Array(Math.min(65536, size - off))));
        const file = new g.Blob(parts);
        const key = g.crypto.getRandomValues(new Uint8Array(32));

        let stop = watch();
        let t0 = g.performance.now();
        await call({ op: 'encrypt-start', job: 1, file, key: key.slice(), pieceSize: 4 << 20 });
        const pieces = [];
        let summary;
        for (;;) {
          const p = await call({ op: 'encrypt-next', job: 1 });
          pieces.push(p.bytes);
          if (p.last) {
            summary = p.summary;
            break;
          }
        }
        const encMs = g.performance.now() - t0;
        const encPause = stop();

        stop = watch();
        t0 = g.performance.now();
        await call({ op: 'decrypt-start', job: 2, expected: { key, sha256: summary.sha256, size: summary.size, ciphertextSize: summary.ciphertextSize }, blobType: 'application/octet-stream' });
        for (const p of pieces) {
          for (let off = 0; off < p.length; off += 256 << 10) {
            const b = p.slice(off, off + (256 << 10));
            await call({ op: 'decrypt-push', job: 2, bytes: b }, [b.buffer]);
          }
        }
        const { blob } = await call({ op: 'decrypt-finish', job: 2 });
        const decMs = g.performance.now() - t0;
        const decPause = stop();
        w.terminate();
        if (blob.size !== size) throw new Error(`decrypted ${blob.size} bytes, not ${size}`);
        return { encMs, decMs, encPause, decPause, ciphertextSize: summary.ciphertextSize };
      },
      { url: `/assets/${worker}`, mib: MIB },
    );
    const bytes = MIB * 1024 * 1024;
    const mbs = (ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
    console.log(
      `  run ${run + 1}: encrypt+hash ${mbs(r.encMs)} MB/s (${(r.encMs / 1000).toFixed(2)} s), decrypt+verify ${mbs(r.decMs)} MB/s (${(r.decMs / 1000).toFixed(2)} s); ` +
        `longest main-thread pause ${Math.round(Math.max(r.encPause, r.decPause))} ms`,
    );
    results.push(r);
  }
  const best = (k) => Math.min(...results.map((r) => r[k]));
  const bytes = MIB * 1024 * 1024;
  console.log(
    `best of ${RUNS}: encrypt+hash ${(bytes / 1e6 / (best('encMs') / 1000)).toFixed(0)} MB/s, decrypt+verify ${(bytes / 1e6 / (best('decMs') / 1000)).toFixed(0)} MB/s ` +
      `(${MIB} MiB, MB = 10^6 bytes of plaintext)`,
  );
} finally {
  await browser.close().catch(() => {});
  server.close();
}
