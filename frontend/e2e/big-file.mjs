// Manual check (not part of the suite): one big file from one browser to another, timed.
//   COURIER_URL=… BIG_MIB=100 node e2e/big-file.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './harness.mjs';
import { newUserPage, openConversation, register, startChat } from './app.mjs';
import { attachmentIn } from './attachment-steps.mjs';
import { randomFile, sha256 } from './files.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const MIB = Number(process.env.BIG_MIB ?? 100);
const run = randomBytes(3).toString('hex');
const problems = [];
const browser = await launch();
try {
  const A = await newUserPage(browser, BASE, 'alice', problems);
  const B = await newUserPage(browser, BASE, 'bob', problems);
  await Promise.all([register(A.page, `biga_${run}`, `pw for big ${run} a`), register(B.page, `bigb_${run}`, `pw for big ${run} b`)]);
  await startChat(A.page, `bigb_${run}`);
  await openConversation(B.page, `biga_${run}`);
  const data = randomFile(MIB * 1024 * 1024);
  const name = `big-${run}.bin`;
    const path = join(mkdtempSync(join(tmpdir(), 'courier-big-')), name);
  writeFileSync(path, data); // setInputFiles takes buffers only up to 50 MB
  await A.page.getByTestId('attach-input').setInputFiles(path);
  A.page.on('worker', (w) => console.log(`worker started: ${w.url()}`));
  const timings = [];
  A.page.on('requestfinished', (r) => {
    if (!/\/api\/attachments/.test(r.url()) || r.method() === 'GET') return;
    const t = r.timing();
    timings.push(`${r.method()} start +${Math.round(t.startTime - t0)} ms, answered after ${Math.round(t.responseEnd)} ms`);
  });
  const t0 = Date.now();
  await A.page.getByRole('button', { name: 'Send' }).click();
  const mine = attachmentIn(A.page, name);
  for (;;) {
    const state = await mine.getAttribute('data-state').catch(() => null);
    if (state === 'verified') break;
    if (state === 'upload-failed') throw new Error(`upload failed: ${await mine.textContent()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const up = (Date.now() - t0) / 1000;
  if (process.env.BIG_TIMINGS) console.log(timings.join('\n'));
  const t1 = Date.now();
  const theirs = attachmentIn(B.page, name);
  await theirs.waitFor({ timeout: 60_000 });
  const [download] = await Promise.all([B.page.waitForEvent('download', { timeout: 300_000 }), theirs.getByRole('button', { name: `Download ${name}` }).click()]);
  const bytes = readFileSync(await download.path());
  const down = (Date.now() - t1) / 1000;
  console.log(`${MIB} MiB: encrypt+upload ${up.toFixed(1)} s (${((MIB * 1.048576) / up).toFixed(0)} MB/s), download+verify+save ${down.toFixed(1)} s; equal: ${sha256(bytes) === sha256(data)}`);
  if (problems.length) console.log(problems.join('\n'));
} finally {
  await browser.close();
}
