// CLI ↔ browser interoperability: a person in Chromium and a person on `courier-cli` talk
// through the real server both ways, so the Rust and TypeScript clients are proven
// byte-compatible (envelopes, signatures, fingerprints), not just self-consistent.
//   COURIER_URL=https://localhost:8443 COURIER_CLI=../target/debug/courier-cli npm run e2e:cli
// The CLI trusts the server's certificate through COURIER_CA_CERT when set, else --insecure
// (the local self-signed certificate). DATABASE_URL (the server's database) is needed for the
// key-substitution step, which plays a malicious server.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { assert, launch, onFailure, step, summary, waitUntil } from './harness.mjs';
import { expectMessage, newUserPage, openConversation, register, send, shot } from './app.mjs';
import { psql, receiptsOf, substituteKeyInDb } from './db.mjs';
import { attachmentIn } from './attachment-steps.mjs';
import { makePng, randomFile, sha256 } from './files.mjs';
import { substituteKeys } from './keys.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const DB = process.env.DATABASE_URL;
const CLI = process.env.COURIER_CLI ?? new URL('../../target/debug/courier-cli', import.meta.url).pathname;
const run = randomBytes(3).toString('hex');
const web = { username: `web_${run}`, password: `browser side ${run} password` };
const term = { username: `cli_${run}`, password: `terminal side ${run} password` };
const configDir = mkdtempSync(join(tmpdir(), 'courier-cli-e2e-'));
const problems = [];

const tlsArgs = process.env.COURIER_CA_CERT ? ['--ca-cert', process.env.COURIER_CA_CERT] : ['--insecure'];
const cliArgs = (args) => ['--server', BASE, ...tlsArgs, '--config-dir', configDir, '--json', ...args];
const cliEnv = { ...process.env, COURIER_PASSWORD: term.password };

/** Runs courier-cli once; resolves with the JSON lines it printed, rejects on a non-zero exit. */
function cli(args) {
  return new Promise((resolve, reject) => {
    execFile(CLI, cliArgs(args), { env: cliEnv, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`courier-cli ${args.join(' ')} failed (${err.code}): ${stderr.trim()}`));
      else resolve(stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
    });
  });
}

/** `courier-cli listen --json` in the background, collecting messages as they arrive. */
function listen() {
  const child = spawn(CLI, cliArgs(['listen']), { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const messages = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const ev = JSON.parse(line);
      if (ev.event === 'message') messages.push(ev.message);
    } catch {
      problems.push(`[cli] not JSON: ${line}`);
    }
  });
  return { child, messages };
}

/** Whether this courier-cli has attachments (`download`, and `send --file`): the suite runs
 *  its attachment steps only then, so it stays green against an older CLI. */
const cliHasAttachments = await new Promise((resolve) => execFile(CLI, ['help', 'download'], (err) => resolve(!err)));
const filesDir = mkdtempSync(join(tmpdir(), 'courier-cli-files-'));

console.log(`Courier CLI ↔ browser e2e against ${BASE} with ${CLI} (run ${run})`);
const browser = await launch();
let W;
let listener;
onFailure(async (n) => {
  if (W?.page && !W.page.isClosed()) await shot(W.page, `cli-fail-${String(n).padStart(2, '0')}.png`);
  if (problems.length) console.log(`      problems: ${problems.slice(-5).join('\n      ')}`);
});
try {
  await step('a browser user and a CLI user register', async () => {
    W = await newUserPage(browser, BASE, 'web', problems);
    await W.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    const [, out] = await Promise.all([register(W.page, web.username, web.password), cli(['register', term.username])]);
    assert(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/.test(out.at(-1).recovery_key), `the CLI shows a recovery code (${out.at(-1).recovery_key})`);
  }, { critical: true });

  await step('CLI → browser: the browser verifies and decrypts what the CLI sealed', async () => {
    listener = listen();
    const text = `Hello from the terminal ${run} ✓`;
    await cli(['send', web.username, text]);
    await openConversation(W.page, term.username);
    await expectMessage(W.page, text, 30_000);
  }, { critical: true });

  await step('browser → CLI: the CLI verifies and decrypts what the browser sealed', async () => {
    const text = `Hello from Chromium ${run} <b>ok</b>`;
    await send(W.page, text);
    const got = await waitUntil(() => listener.messages.find((m) => m.text === text), { timeout: 30_000, message: 'the CLI listener to get it' });
    assert(got.status === 'verified', `verified at the CLI (${JSON.stringify(got)})`);
    const history = await cli(['history', web.username]);
    const mine = history.map((l) => l.message).find((m) => m.text === text);
    assert(mine?.status === 'verified', 'CLI history verifies the browser message');
  });

  await step('both sides compute the same safety number', async () => {
    const [verified] = (await cli(['verify', web.username, '--yes'])).slice(-1);
    await W.page.getByRole('button', { name: 'View safety number' }).click();
    const label = await W.page.getByTestId('safety-number').getAttribute('aria-label');
    const shown = label.split(': ')[1];
    await W.page.getByRole('button', { name: 'Close' }).click();
    assert(shown === verified.safety_number, `safety numbers match (browser ${shown} / CLI ${verified.safety_number})`);
  });

  if (!cliHasAttachments) {
    console.log('  - attachment steps not run: this courier-cli has no `download` command yet');
  } else {
    await step('CLI → browser: a photo and a file sent with `send --file` are shown, verified, and download byte for byte', async () => {
      const png = makePng(400, 300, 5);
      const bin = randomFile(300_000);
      const pngPath = join(filesDir, `cli-photo-${run}.png`);
      const binPath = join(filesDir, `cli-data-${run}.bin`);
      writeFileSync(pngPath, png);
      writeFileSync(binPath, bin);
      const caption = `Files from the terminal ${run}`;
      const [posted] = (await cli(['send', web.username, caption, '--file', pngPath, '--file', binPath])).slice(-1);
      const msg = W.page.locator(`[data-message-id="${posted.message_id}"]`);
      await msg.waitFor({ timeout: 30_000 });
      assert((await msg.getAttribute('data-kind')) === 'attachments', `an attachment message (${await msg.getAttribute('data-kind')})`);
      assert((await msg.getByTestId('caption').textContent()) === caption, 'with its caption');
      const image = attachmentIn(W.page, `cli-photo-${run}.png`).getByTestId('attachment-image');
      await image.waitFor({ timeout: 30_000 });
      await waitUntil(() => image.evaluate((el) => el.complete && el.naturalWidth === 400 && el.naturalHeight === 300), { message: 'the photo, verified and drawn' });
      const [download] = await Promise.all([
        W.page.waitForEvent('download', { timeout: 60_000 }),
        attachmentIn(W.page, `cli-data-${run}.bin`).getByRole('button', { name: `Download cli-data-${run}.bin` }).click(),
      ]);
      assert(sha256(readFileSync(await download.path())) === sha256(bin), 'the file arrives byte for byte');
    });

    await step('browser → CLI: a multi-MiB file and a photo sent from Chromium download with `courier-cli download`, verified, byte for byte', async () => {
      await W.page.evaluate(() => globalThis.localStorage.setItem('courier.uploadPieceBytes', String(1 << 20)));
      const files = [
        { name: `web-data-${run}.bin`, mimeType: 'application/octet-stream', buffer: randomFile(2 * 1024 * 1024 + 4321) },
        { name: `web-photo-${run}.png`, mimeType: 'image/png', buffer: makePng(200, 120, 6) },
      ];
      for (const f of files) {
        const caption = `${f.name} from the browser`;
        await W.page.getByTestId('attach-input').setInputFiles([f]);
        await W.page.getByLabel('Message', { exact: true }).fill(caption);
        await W.page.getByRole('button', { name: 'Send' }).click();
        const msg = W.page.getByTestId('message').filter({ hasText: caption });
        await waitUntil(async () => (await msg.getByTestId('ticks').getAttribute('data-delivery').catch(() => 'sending')) !== 'sending', { timeout: 60_000, message: 'stored' });
        const id = await msg.getAttribute('data-message-id');
        const got = await waitUntil(() => listener.messages.find((m) => m.message_id === id), { timeout: 30_000, message: 'the CLI listener to get it' });
        assert(got.status === 'verified', `verified at the CLI (${JSON.stringify(got)})`);
        const out = mkdtempSync(join(filesDir, 'dl-'));
        const [saved] = (await cli(['download', id, '--out', out])).slice(-1);
        assert(saved.verified === true && saved.name === f.name && saved.media_type === f.mimeType, `the CLI saved it verified (${JSON.stringify(saved)})`);
        assert(sha256(readFileSync(saved.path)) === sha256(f.buffer), `${f.name} arrives at the CLI byte for byte`);
      }
    });
  }

  await step('a message altered on the server shows as unverified in the browser and is never acknowledged', async () => {
    assert(DB, 'DATABASE_URL is needed to alter a stored message');
    await W.context.setOffline(true);
    await W.page.getByTestId('connection-banner').waitFor({ timeout: 15_000 });
    const [posted] = (await cli(['send', web.username, `altered in storage ${run}`])).slice(-1);
    const before = receiptsOf(DB, web.username, posted.conversation_id);
    psql(DB, `UPDATE messages SET ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) WHERE id = '${posted.message_id}'`);
    await W.context.setOffline(false);
    const bubble = W.page.locator(`[data-message-id="${posted.message_id}"][data-kind="unverified"]`);
    await bubble.waitFor({ timeout: 30_000 });
    assert((await W.page.getByText(`altered in storage ${run}`).count()) === 0, 'no text of an unverified message');
    // A reply the CLI receives was posted after any receipt the browser would have sent.
    const reply = `reply after the altered one ${run}`;
    await send(W.page, reply);
    await waitUntil(() => listener.messages.find((m) => m.text === reply), { timeout: 30_000, message: 'the CLI to get the reply' });
    const after = receiptsOf(DB, web.username, posted.conversation_id);
    assert(after.delivered < posted.position && after.read < posted.position, `no receipt names it (${JSON.stringify({ before, after, position: posted.position })})`);
  });

  await step("a substituted key for the browser user makes the CLI refuse to send until verify", async () => {
    assert(DB, 'DATABASE_URL is needed to substitute a key');
    substituteKeyInDb(DB, web.username, await substituteKeys());
    const refused = await cli(['send', web.username, 'must not be sealed to a substituted key']).then(
      () => null,
      (e) => e,
    );
    assert(refused && /CHANGED/.test(refused.message), `the CLI refuses (${refused?.message})`);
    const [lookup] = (await cli(['lookup', web.username])).slice(-1);
    assert(/^CHANGED/.test(lookup.key_state), `lookup shows the change (${lookup.key_state})`);
  });

  await step('nothing arrived at the CLI unverified', async () => {
    const bad = listener.messages.filter((m) => m.status !== 'verified');
    assert(bad.length === 0, `unverified at the CLI: ${JSON.stringify(bad)}`);
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  listener?.child.kill();
  await browser.close().catch(() => {});
  rmSync(configDir, { recursive: true, force: true });
  rmSync(filesDir, { recursive: true, force: true });
}

process.exit(summary() ? 0 : 1);
