// Attachments between two browsers, in real Chromium against the real server (docs/protocol.md
// §8.4, §11): a photo (the thumbnail at once, then the verified image, the full-size viewer,
// saved bytes equal), a multi-MiB file in several requests, paste / drop / the 10-file limit,
// cancel mid-upload (the partial upload deleted on the server), a connection dropped mid-upload
// (resumed, every piece stored once), a tampered ciphertext ("could not verify", never shown)
// and an attachment not shared with the reader ("attachment unavailable").
//
// Network faults are made with page.route: a PATCH aborted before it reaches the server, one
// forwarded to the server whose answer is then dropped, a download fulfilled with a flipped
// byte, a message post without its attachment_ids. The server's state is read from its
// database (DATABASE_URL) and its attachment directory (ATTACHMENTS_DIR, optional).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assert, step as runStep, waitUntil } from './harness.mjs';
import { expectMessage, shot } from './app.mjs';
import { psql } from './db.mjs';
import { makePng, randomFile, sha256 } from './files.mjs';

const MiB = 1 << 20;
const PIECE = 1 * MiB;
const ciphertextSize = (n) => 38 + n + 16 * Math.max(1, Math.ceil(n / 65536));
const isAttachmentUrl = (url) => /\/api\/attachments(\/|$|\?)/.test(new URL(url).pathname);

export function attachmentIn(page, name) {
  return page.locator(`[data-testid="attachment"][data-name="${name}"]`);
}

async function attach(page, files) {
  await page.getByTestId('attach-input').setInputFiles(files);
}

async function sendFiles(page, files, caption = '') {
  await attach(page, files);
  const box = page.getByLabel('Message', { exact: true });
  if (caption) await box.fill(caption);
  await page.getByRole('button', { name: 'Send' }).click();
}

async function downloaded(page, trigger) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), trigger()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

const decoded = (img) => img.evaluate((el) => el.complete && el.naturalWidth > 0);

/** The id the server gave the next upload started from `page` (its POST answer). */
function nextUploadId(page) {
  return page
    .waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/attachments', { timeout: 60_000 })
    .then(async (r) => (await r.json()).attachment_id);
}

function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

export async function attachmentSteps({ A, B, sent, text, nonce, db, attachmentsDir }) {
  // ATTACHMENT_STEPS=word runs only the steps whose name has it (while working on one).
  const only = process.env.ATTACHMENT_STEPS;
  const step = (name, fn, opts) => (!only || name.includes(only) ? runStep(name, fn, opts) : Promise.resolve());
  const secrets = []; // plaintext that must never reach the server's storage
  // Uploads from alice come in 1 MiB requests, so a few MiB make several.
  await A.page.evaluate((n) => globalThis.localStorage.setItem('courier.uploadPieceBytes', String(n)), PIECE);
  const aliceFetches = [];
  A.page.on('request', (r) => {
    if (r.method() === 'GET' && isAttachmentUrl(r.url())) aliceFetches.push(r.url());
  });

  await step('a photo goes browser to browser: its thumbnail shows at once, then the verified image, which opens full size and saves byte for byte', async () => {
    const png = makePng(640, 480, 1);
    secrets.push(png.subarray(1000, 1064));
    const name = `photo-${nonce}.png`;
    const caption = text('Look at this photo');
    // Bob's download waits until the test has seen the thumbnail (it is inside the message itself).
    let release;
    const held = new Promise((r) => (release = r));
    const hold = async (route) => {
      if (route.request().method() === 'GET') await held;
      await route.continue();
    };
    await B.page.route('**/api/attachments/*', hold);
    try {
      await sendFiles(A.page, [{ name, mimeType: 'image/png', buffer: png }], caption);
      sent.push(caption);
      const theirs = attachmentIn(B.page, name);
      await theirs.waitFor({ timeout: 30_000 });
      const thumb = theirs.getByTestId('attachment-thumbnail');
      await waitUntil(() => decoded(thumb), { message: 'the thumbnail decoded' });
      assert((await thumb.getAttribute('src')).startsWith('data:image/jpeg;base64,'), 'the thumbnail comes from the message (a JPEG data: URL)');
      assert((await theirs.getByTestId('attachment-image').count()) === 0, 'no full image before the file arrived and verified');
      release();
      const full = theirs.getByTestId('attachment-image');
      await full.waitFor({ timeout: 30_000 });
      await waitUntil(() => full.evaluate((el) => el.complete && el.naturalWidth === 640 && el.naturalHeight === 480), { message: 'the full image, 640 × 480' });
      assert((await full.getAttribute('src')).startsWith('blob:'), 'the verified image is an object URL');
    } finally {
      release();
      await B.page.unroute('**/api/attachments/*', hold);
    }
    await expectMessage(B.page, caption);
    const theirs = attachmentIn(B.page, name);

    // Keyboard only: the image is a button; Enter opens the viewer, Escape closes it.
    await theirs.getByRole('button', { name: `Open image ${name}` }).focus();
    await B.page.keyboard.press('Enter');
    const viewer = B.page.getByRole('dialog', { name });
    await viewer.waitFor();
    const big = viewer.getByTestId('viewer-image');
    await waitUntil(() => big.evaluate((el) => el.complete && el.naturalWidth === 640), { message: 'the viewer shows the image' });
    await shot(B.page, '13-image-viewer.png');
    const saved = await downloaded(B.page, () => viewer.getByRole('button', { name: `Save ${name}` }).click());
    assert(saved.name === name, `saved as ${saved.name}`);
    assert(sha256(saved.bytes) === sha256(png), 'the saved image is byte for byte the one alice sent');
    await B.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await waitUntil(() => B.page.evaluate(() => globalThis.document.activeElement?.getAttribute('aria-label')).then((l) => l === `Open image ${name}`), {
      message: 'focus back on the image',
    });

    const mine = attachmentIn(A.page, name).getByTestId('attachment-image');
    await mine.waitFor();
    assert(await decoded(mine), 'alice sees her photo');
    assert(aliceFetches.length === 0, `alice shows her own photo without fetching it back (${aliceFetches.join(', ')})`);
  });

  await step('a multi-MiB file goes in 1 MiB requests, and downloads, verified, byte for byte', async () => {
    const data = randomFile(6 * MiB + 12_345);
    const name = `data-${nonce}.bin`;
    const methods = [];
    const onRequest = (r) => {
      if (isAttachmentUrl(r.url()) && r.method() !== 'GET') methods.push(r.method());
    };
    A.page.on('request', onRequest);
    try {
      await sendFiles(A.page, [{ name, mimeType: 'application/octet-stream', buffer: data }]);
      const theirs = attachmentIn(B.page, name);
      await theirs.waitFor({ timeout: 60_000 });
      assert((await theirs.getAttribute('data-kind')) === 'file', 'shown as a file card');
      const card = await theirs.textContent();
      assert(card.includes(name) && card.includes('6.3 MB') && card.includes('BIN'), `name, size and type on the card (${card})`);
      const got = await downloaded(B.page, () => theirs.getByRole('button', { name: `Download ${name}` }).click());
      assert(got.name === name, `saved as ${got.name}`);
      assert(got.bytes.length === data.length && sha256(got.bytes) === sha256(data), 'the downloaded file is byte for byte the one sent');
      await waitUntil(async () => (await theirs.getAttribute('data-state')) === 'verified', { message: 'verified' });
      const pieces = Math.ceil(ciphertextSize(data.length) / PIECE);
      const want = ['POST', ...Array(pieces - 1).fill('PATCH')].join(',');
      assert(methods.join(',') === want, `one POST then PATCHes of 1 MiB (${methods.join(',')})`);
    } finally {
      A.page.off('request', onRequest);
    }
  });

  await step('files come from a paste and a drop too; at most 10 per message; one can be removed before sending', async () => {
    const box = A.page.getByLabel('Message', { exact: true });
    const pasted = `pasted-${nonce}.png`;
    const png = makePng(48, 32, 2);
    await box.focus();
    await A.page.evaluate(
      ({ name, b64 }) => {
        const bytes = Uint8Array.from(globalThis.atob(b64), (c) => c.charCodeAt(0));
        const dt = new globalThis.DataTransfer();
        dt.items.add(new globalThis.File([bytes], name, { type: 'image/png' }));
        globalThis.document.activeElement.dispatchEvent(new globalThis.ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      },
      { name: pasted, b64: png.toString('base64') },
    );
    const pending = A.page.getByTestId('pending-attachment');
    await A.page.locator(`[data-testid="pending-attachment"][data-name="${pasted}"]`).waitFor();
    const dropped = [`notes-${nonce}.txt`, `extra-${nonce}.txt`];
    const note = text('the dropped note says hello');
    secrets.push(Buffer.from(note));
    const dt = await A.page.evaluateHandle(({ names, body }) => {
      const t = new globalThis.DataTransfer();
      for (const n of names) t.items.add(new globalThis.File([body], n, { type: 'text/plain' }));
      return t;
    }, { names: dropped, body: note });
    const pane = A.page.getByTestId('conversation-pane');
    await pane.dispatchEvent('dragenter', { dataTransfer: dt });
    await A.page.getByTestId('drop-zone').waitFor();
    await pane.dispatchEvent('drop', { dataTransfer: dt });
    await A.page.getByTestId('drop-zone').waitFor({ state: 'detached' });
    await waitUntil(async () => (await pending.count()) === 3, { message: 'three files waiting' });
    await A.page.getByRole('button', { name: `Remove ${dropped[1]}` }).click();
    await waitUntil(async () => (await pending.count()) === 2, { message: 'two files after removing one' });
    const more = Array.from({ length: 9 }, (_, i) => ({ name: `many-${i}-${nonce}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`file ${i}`) }));
    await attach(A.page, more);
    await waitUntil(async () => (await pending.count()) === 10, { message: 'ten files waiting' });
    const notice = await A.page.getByTestId('attachment-notice').textContent();
    assert(/At most 10 files per message: 1 was left out/.test(notice), `the eleventh is refused with the reason (${notice})`);
    assert((await A.page.locator(`[data-testid="pending-attachment"][data-name="${more[8].name}"]`).count()) === 0, 'the last one is the one left out');
    assert(await A.page.getByRole('button', { name: 'Attach files' }).isDisabled(), 'no more can be attached');
    for (const f of more.slice(0, 8)) await A.page.getByRole('button', { name: `Remove ${f.name}` }).click();
    await waitUntil(async () => (await pending.count()) === 2, { message: 'back to two' });
    const caption = text('Pasted and dropped');
    await box.fill(caption);
    await box.press('Enter');
    sent.push(caption);
    await expectMessage(B.page, caption, 30_000);
    const msg = B.page.getByTestId('message').filter({ hasText: caption });
    await waitUntil(async () => (await msg.getByTestId('attachment').count()) === 2, { message: 'both files in one message' });
    await msg.locator(`[data-testid="attachment"][data-name="${pasted}"] [data-testid="attachment-image"]`).waitFor({ timeout: 30_000 });
    const got = await downloaded(B.page, () => msg.getByRole('button', { name: `Download ${dropped[0]}` }).click());
    assert(got.bytes.toString() === note, 'the dropped file arrives as it was');
    assert((await msg.locator(`[data-name="${dropped[1]}"]`).count()) === 0, 'the removed file was not sent');
    await shot(B.page, '12-attachments.png'); // a photo, a file card, a pasted image and a dropped note
  });

  await step('cancel mid-upload: the upload stops, the partial attachment is deleted on the server, nothing is sent', async () => {
    const name = `cancelled-${nonce}.bin`;
    let release;
    const held = new Promise((r) => (release = r));
    let patches = 0;
    const hold = async (route) => {
      if (route.request().method() === 'PATCH' && ++patches >= 2) {
        await held;
        return route.abort().catch(() => {});
      }
      return route.continue();
    };
    await A.page.route('**/api/attachments/*', hold);
    try {
      const id = nextUploadId(A.page);
      await sendFiles(A.page, [{ name, mimeType: 'application/octet-stream', buffer: randomFile(5 * MiB) }]);
      const uploadId = await id;
      const mine = attachmentIn(A.page, name);
      await waitUntil(() => patches >= 2, { message: 'the upload is under way (second PATCH held)' });
      const state = await mine.getAttribute('data-state');
      assert(state === 'upload-uploading', `shown uploading (${state})`);
      const progress = await mine.getByRole('progressbar').evaluate((el) => el.value);
      assert(Number(progress) > 0 && Number(progress) < 100, `a progress bar part way (${progress})`);
      await shot(A.page, '14-uploading.png');
      const deleted = A.page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/attachments/${uploadId}`));
      await mine.getByRole('button', { name: `Cancel upload of ${name}` }).click();
      assert((await deleted).status() === 204, 'the partial upload was deleted (204)');
      await mine.waitFor({ state: 'detached' });
      if (db) assert(psql(db, `SELECT count(*) FROM attachments WHERE id = '${uploadId}'`).trim() === '0', 'the server no longer has it');
      assert((await attachmentIn(B.page, name).count()) === 0, 'bob got nothing');
    } finally {
      release();
      await A.page.unroute('**/api/attachments/*', hold);
    }
  });

  await step('a connection dropped mid-upload resumes from the server offset: the upload completes and the server stored every piece once', async () => {
    const data = randomFile(5 * MiB + 777);
    const name = `resumed-${nonce}.bin`;
    const log = [];
    const reachedServer = [];
    let patches = 0;
    const faults = async (route) => {
      const req = route.request();
      const offset = req.headers()['upload-offset'];
      if (req.method() === 'HEAD') log.push('HEAD');
      if (req.method() !== 'PATCH') return route.continue();
      patches += 1;
      if (patches === 2) {
        log.push(`PATCH ${offset} dropped before the server`);
        return route.abort('connectionreset');
      }
      if (patches === 4) {
        const res = await route.fetch(); // the server gets (and commits) it; the answer is lost
        reachedServer.push(offset);
        log.push(`PATCH ${offset} stored (${res.status()}), answer dropped`);
        return route.abort('connectionreset');
      }
      reachedServer.push(offset);
      log.push(`PATCH ${offset}`);
      return route.continue();
    };
    await A.page.route('**/api/attachments/*', faults);
    let uploadId;
    try {
      const id = nextUploadId(A.page);
      await sendFiles(A.page, [{ name, mimeType: 'application/octet-stream', buffer: data }]);
      uploadId = await id;
      const theirs = attachmentIn(B.page, name);
      await theirs.waitFor({ timeout: 90_000 });
      const got = await downloaded(B.page, () => theirs.getByRole('button', { name: `Download ${name}` }).click());
      assert(sha256(got.bytes) === sha256(data), 'the resumed file arrives byte for byte');
    } finally {
      await A.page.unroute('**/api/attachments/*', faults);
    }
    assert(log.filter((l) => l === 'HEAD').length >= 2, `the client asked the server where it was after each failure (${log.join('; ')})`);
    assert(new Set(reachedServer).size === reachedServer.length, `no piece reached the server twice (${log.join('; ')})`);
    if (db) {
      const total = ciphertextSize(data.length);
      const [count, starts, sum] = psql(db, `SELECT count(*) || ',' || count(DISTINCT start) || ',' || sum(length) FROM attachment_parts WHERE attachment_id = '${uploadId}'`).trim().split(',').map(Number);
      const pieces = Math.ceil(total / PIECE);
      assert(count === pieces && starts === pieces && sum === total, `stored as ${pieces} pieces of ${total} bytes in all (${count}, ${starts}, ${sum})`);
    }
  });

  await step('offline mid-upload: the upload waits for the network, then resumes and completes', async () => {
    const data = randomFile(4 * MiB + 99);
    const name = `offline-${nonce}.bin`;
    let release;
    const held = new Promise((r) => (release = r));
    let patches = 0;
    const hold = async (route) => {
      if (route.request().method() === 'PATCH' && ++patches === 2) {
        await held; // the connection goes while this request is on its way
        return route.abort('internetdisconnected');
      }
      return route.continue();
    };
    await A.page.route('**/api/attachments/*', hold);
    try {
      await sendFiles(A.page, [{ name, mimeType: 'application/octet-stream', buffer: data }]);
      await waitUntil(() => patches >= 2, { message: 'the second PATCH under way' });
      await A.context.setOffline(true);
      release();
      const mine = attachmentIn(A.page, name);
      await waitUntil(async () => (await mine.getAttribute('data-state')) === 'upload-offline', { message: 'shown waiting for the network' });
      assert((await mine.textContent()).includes('Waiting for the network'), 'says it waits for the network');
      await A.context.setOffline(false);
      const theirs = attachmentIn(B.page, name);
      await theirs.waitFor({ timeout: 60_000 });
      const got = await downloaded(B.page, () => theirs.getByRole('button', { name: `Download ${name}` }).click());
      assert(sha256(got.bytes) === sha256(data), 'the file arrives byte for byte after the network came back');
    } finally {
      release();
      await A.context.setOffline(false);
      await A.page.unroute('**/api/attachments/*', hold);
    }
  });

  await step('a tampered ciphertext is "could not verify" and never shown; a clean retry shows it', async () => {
    const png = makePng(320, 200, 3);
    const name = `tampered-${nonce}.png`;
    let tampered = 0;
    const flip = async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const res = await route.fetch();
      const body = await res.body();
      body[Math.floor(body.length / 2)] ^= 0x01;
      tampered += 1;
      return route.fulfill({ response: res, body });
    };
    await B.page.route('**/api/attachments/*', flip);
    const theirs = attachmentIn(B.page, name);
    try {
      await sendFiles(A.page, [{ name, mimeType: 'image/png', buffer: png }]);
      await theirs.waitFor({ timeout: 30_000 });
      await waitUntil(async () => (await theirs.getAttribute('data-state')) === 'damaged', { message: 'flagged as damaged' });
      assert(tampered >= 1, 'the download was tampered with');
      assert((await theirs.getByText('Could not verify').count()) === 1, '"Could not verify" is shown');
      assert((await theirs.getByTestId('attachment-image').count()) === 0, 'no image of a damaged file');
      assert((await theirs.locator('img[src^="blob:"]').count()) === 0, 'nothing of it is drawn');
      await shot(B.page, '15-could-not-verify.png');
    } finally {
      await B.page.unroute('**/api/attachments/*', flip);
    }
    await theirs.getByRole('button', { name: `Retry download of ${name}` }).click();
    const full = theirs.getByTestId('attachment-image');
    await full.waitFor({ timeout: 30_000 });
    await waitUntil(() => full.evaluate((el) => el.complete && el.naturalWidth === 320), { message: 'the clean copy shows' });
  });

  await step('an attachment not shared with the reader (the server answers 404, as to a non-member) is "attachment unavailable"', async () => {
    const name = `unshared-${nonce}.txt`;
    let stripped = false;
    const strip = async (route) => {
      const req = route.request();
      if (req.method() !== 'POST') return route.continue();
      const body = JSON.parse(req.postData());
      stripped = Array.isArray(body.attachment_ids) && body.attachment_ids.length === 1;
      delete body.attachment_ids;
      return route.continue({ postData: JSON.stringify(body) });
    };
    await A.page.route('**/api/conversations/*/messages', strip);
    try {
      await sendFiles(A.page, [{ name, mimeType: 'text/plain', buffer: Buffer.from(text('not for bob')) }]);
      const theirs = attachmentIn(B.page, name);
      await theirs.waitFor({ timeout: 30_000 });
      assert(stripped, 'the post went without its attachment_ids');
      const answer = B.page.waitForResponse((r) => r.request().method() === 'GET' && isAttachmentUrl(r.url()));
      await theirs.getByRole('button', { name: `Download ${name}` }).click();
      assert((await answer).status() === 404, 'the server refuses bob with 404');
      await waitUntil(async () => (await theirs.getAttribute('data-state')) === 'unavailable', { message: '"attachment unavailable"' });
      assert((await theirs.getByText('Attachment unavailable').count()) === 1, 'says "Attachment unavailable"');
    } finally {
      await A.page.unroute('**/api/conversations/*/messages', strip);
    }
  });

  await step("the server's attachment store holds no plaintext of the files sent", async () => {
    if (!attachmentsDir) {
      console.log('      (ATTACHMENTS_DIR not set: only the database is checked, at the end)');
      return;
    }
    const files = filesUnder(attachmentsDir);
    assert(files.length > 0, `the attachment store (${attachmentsDir}) has the uploads`);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const s of secrets) assert(!bytes.includes(s), `plaintext found in ${f}`);
    }
  });
}
