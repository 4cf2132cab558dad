// Telemetry end to end (docs/protocol.md §12, issue 13): `courier-cli emit` sends known points
// into a conversation with a person in Chromium, and the chart draws exactly those points —
// from history when the chat opens, then live while it is open. A batch altered in storage (as a
// malicious server could) is flagged as refused and none of its points is drawn.
//   COURIER_URL=https://localhost:8443 DATABASE_URL=… COURIER_CLI=../target/debug/courier-cli npm run e2e:telemetry
// What is compared is what uPlot holds: the chart element's test hook `courierChart()` returns
// uPlot's own data arrays (x in ms, one array per line), not a copy made for the test.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assert, copyScreenshots, launch, onFailure, step, summary, waitUntil } from './harness.mjs';
import { expectMessage, newUserPage, openConversation, register, shot, unlock } from './app.mjs';
import { psql } from './db.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const DB = process.env.DATABASE_URL;
const CLI = process.env.COURIER_CLI ?? new URL('../../target/debug/courier-cli', import.meta.url).pathname;
const run = randomBytes(3).toString('hex');
const web = { username: `viewer_${run}`, password: `browser side ${run} password` };
const dev = { username: `sensor_${run}`, password: `emitter side ${run} password`, dir: mkdtempSync(join(tmpdir(), 'courier-cli-telemetry-')) };
const lab = { username: `lab_${run}`, password: `second emitter ${run} password`, dir: mkdtempSync(join(tmpdir(), 'courier-cli-telemetry-')) };
const problems = [];

const tlsArgs = process.env.COURIER_CA_CERT ? ['--ca-cert', process.env.COURIER_CA_CERT] : ['--insecure'];
const cliArgs = (args, who) => ['--server', BASE, ...tlsArgs, '--config-dir', who.dir, '--json', ...args];
const cliEnv = (who) => ({ ...process.env, COURIER_PASSWORD: who.password });

function cli(args, who = dev) {
  return new Promise((resolve, reject) => {
    execFile(CLI, cliArgs(args, who), { env: cliEnv(who), timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`courier-cli ${args.join(' ')} failed (${err.code}): ${stderr.trim()}`));
      else resolve(stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
    });
  });
}

/** `courier-cli emit --stdin jsonl` with these points (`[t_ms, temp, load]`); resolves when all are acknowledged. */
function emit(points, { who = dev, args = ['--series', 'temp:C', '--series', 'load:%', '--stream', 'dev1', '--max-points', '10'] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, cliArgs(['emit', '--to', web.username, '--stdin', 'jsonl', ...args], who), { env: cliEnv(who), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`emit exited ${code}: ${err.trim()}`))));
    child.stdin.end(points.map((p) => JSON.stringify(p)).join('\n') + '\n');
  });
}

/** Known points: exact binary fractions, one missing reading. */
function makePoints(t0, n, base) {
  return Array.from({ length: n }, (_, i) => [t0 + i * 100, base + i * 0.25, i === 7 ? null : (i * 3) % 17]);
}

/** What the chart draws, per line label: Map t → value (numbers and nulls; alignment slots skipped). */
async function drawn(page) {
  const probe = await page.getByTestId('chart-canvas').evaluate((el) => el.courierChart?.() ?? null);
  if (!probe) return null;
  const lines = {};
  probe.labels.forEach((label, j) => {
    const m = new Map();
    probe.x.forEach((t, i) => {
      const v = probe.y[j][i];
      if (v !== undefined) m.set(t, v);
    });
    lines[label] = m;
  });
  return lines;
}

/** Whether the chart's lines hold exactly `sent` (every number at its time, the null as a null, nothing else numeric). */
function sameAsSent(lines, sent) {
  if (!lines) return 'no chart yet';
  for (const [label, col] of [['temp (C)', 1], ['load (%)', 2]]) {
    const line = lines[label];
    if (!line) return `no line ${label} (have ${Object.keys(lines).join(', ')})`;
    const numbers = [...line].filter(([, v]) => typeof v === 'number');
    const expected = sent.filter((p) => p[col] !== null);
    if (numbers.length !== expected.length) return `${label}: ${numbers.length} points drawn, ${expected.length} sent`;
    for (const p of sent) {
      if (p[col] === null) {
        if (line.has(p[0]) && line.get(p[0]) !== null) return `${label}: the missing reading at ${p[0]} is drawn as ${line.get(p[0])}`;
      } else if (line.get(p[0]) !== p[col]) return `${label}: at ${p[0]} drawn ${line.get(p[0])}, sent ${p[col]}`;
    }
  }
  return 'same';
}

console.log(`Courier telemetry e2e against ${BASE} with ${CLI} (run ${run})`);
const browser = await launch();
let W;
let conversationId;
const sent = [];
onFailure(async (n) => {
  if (W?.page && !W.page.isClosed()) await shot(W.page, `telemetry-fail-${String(n).padStart(2, '0')}.png`);
  if (problems.length) console.log(`      problems: ${problems.slice(-5).join('\n      ')}`);
});
try {
  await step('a browser user and an emitter account register; the emitter says hello', async () => {
    W = await newUserPage(browser, BASE, 'viewer', problems, { width: 1100, height: 900 });
    await W.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    await Promise.all([register(W.page, web.username, web.password), cli(['register', dev.username])]);
    const [posted] = (await cli(['send', web.username, `sensor ${run} online`])).slice(-1);
    conversationId = posted.conversation_id;
    assert(conversationId, 'the CLI names the conversation');
  }, { critical: true });

  await step('emitted points are in the chart when the chat opens (history), exactly as sent', async () => {
    const points = makePoints(Date.now() - 90_000, 45, 20);
    await emit(points);
    sent.push(...points);
    await openConversation(W.page, dev.username);
    await expectMessage(W.page, `sensor ${run} online`, 30_000);
    await W.page.getByTestId('telemetry-chart').waitFor({ timeout: 30_000 });
    await waitUntil(async () => sameAsSent(await drawn(W.page), sent) === 'same', { timeout: 30_000, message: 'the chart to draw the sent points' }).catch(async (e) => {
      throw new Error(`${e.message}: ${sameAsSent(await drawn(W.page), sent)}`);
    });
    // Batches are not chat bubbles: one collapsed line counts them.
    const batches = Number(await W.page.getByTestId('telemetry-batches').textContent());
    assert(batches === 5, `5 batches of at most 10 points (${batches})`);
    assert((await W.page.locator('[data-kind="unsupported"]').count()) === 0, 'no "unsupported" bubbles for batches');
  }, { critical: true });

  await step('points emitted while the chart is open arrive live', async () => {
    assert((await W.page.getByTestId('telemetry-chart').getAttribute('data-live')) === 'true', 'the chart follows live');
    const points = makePoints(Date.now() - 20_000, 30, -5);
    await emit(points);
    sent.push(...points);
    await waitUntil(async () => sameAsSent(await drawn(W.page), sent) === 'same', { timeout: 30_000, message: 'live points in the chart' }).catch(async (e) => {
      throw new Error(`${e.message}: ${sameAsSent(await drawn(W.page), sent)}`);
    });
    const last = await W.page.locator('[data-testid="legend-row"][data-name="temp"] [data-stat="last"]').textContent();
    assert(last === String(sent.at(-1)[1]), `legend shows the last temperature (${last})`);
    const max = await W.page.locator('[data-testid="legend-row"][data-name="temp"] [data-stat="max"]').textContent();
    assert(max === String(Math.max(...sent.map((p) => p[1]))), `legend shows the highest temperature (${max})`);
  });

  await step('a batch altered in storage is flagged as refused and none of its points is drawn', async () => {
    assert(DB, 'DATABASE_URL is needed to alter a stored batch');
    await W.context.setOffline(true);
    await W.page.getByTestId('connection-banner').waitFor({ timeout: 15_000 });
    const forged = makePoints(Date.now() - 5_000, 5, 666);
    await emit(forged);
    const id = psql(DB, `SELECT id FROM messages WHERE conversation_id = '${conversationId}' ORDER BY position DESC LIMIT 1`).trim();
    psql(DB, `UPDATE messages SET ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) WHERE id = '${id}'`);
    await W.context.setOffline(false);
    await W.page.getByTestId('refused-flag').waitFor({ timeout: 30_000 });
    assert((await W.page.getByTestId('refused-flag').getAttribute('data-count')) === '1', 'one batch refused');
    assert(/could not be verified/.test(await W.page.getByTestId('refused-flag').textContent()), 'the flag says why');
    const check = sameAsSent(await drawn(W.page), sent);
    assert(check === 'same', `only the good points are drawn (${check})`);
  });

  await step('after a reload the history path refuses it too; the chart and legend are the text alternative', async () => {
    await W.page.reload();
    await unlock(W.page, web.password);
    await W.page.getByTestId('telemetry-chart').waitFor({ timeout: 60_000 });
    await waitUntil(async () => sameAsSent(await drawn(W.page), sent) === 'same', { timeout: 30_000, message: 'the chart after a reload' }).catch(async (e) => {
      throw new Error(`${e.message}: ${sameAsSent(await drawn(W.page), sent)}`);
    });
    await W.page.getByTestId('refused-flag').waitFor({ timeout: 30_000 });
    const rows = await W.page.getByTestId('legend-row').count();
    assert(rows === 2, `a legend row per series (${rows})`);
    const label = await W.page.getByTestId('chart-canvas').getAttribute('aria-label');
    assert(/2 series/.test(label), `the chart describes itself (${label})`);
  });

  await step('pause, zoom and reset work from the keyboard', async () => {
    const canvas = W.page.getByTestId('chart-canvas');
    await canvas.focus();
    await W.page.keyboard.press('Space');
    await waitUntil(async () => (await W.page.getByTestId('telemetry-chart').getAttribute('data-live')) === 'false', { message: 'paused' });
    const before = await canvas.evaluate((el) => el.courierChart().range);
    await W.page.keyboard.press('+');
    await waitUntil(async () => {
      const r = await canvas.evaluate((el) => el.courierChart().range);
      return Math.abs((r[1] - r[0]) * 2 - (before[1] - before[0])) < 2;
    }, { message: 'zoomed in to half the span' });
    await W.page.keyboard.press('Escape');
    await waitUntil(async () => (await W.page.getByTestId('telemetry-chart').getAttribute('data-live')) === 'true', { message: 'back to live' });
  });

  await step('a second emitter streams four minutes with a pause: the chart for the README', async () => {
    await cli(['register', lab.username], lab);
    await cli(['send', web.username, `lab ${run}: greenhouse sensors, 4 readings a second`], lab);
    const now = Date.now();
    const points = [];
    for (let t = now - 240_000; t <= now - 2_000; t += 250) {
      if (t > now - 150_000 && t < now - 125_000) continue; // the sensor was away: drawn as a break
      const s = (t - now) / 1000;
      const temp = Math.round((21 + 1.6 * Math.sin(s / 9) + 0.3 * Math.sin(s * 1.7)) * 100) / 100;
      const hum = Math.round((47 + 6 * Math.cos(s / 23) + 0.8 * Math.sin(s / 2.3)) * 100) / 100;
      points.push([t, temp, hum]);
    }
    await emit(points, { who: lab, args: ['--series', 'temperature:°C', '--series', 'humidity:%', '--stream', 'greenhouse', '--max-points', '40'] });
    await openConversation(W.page, lab.username);
    await W.page.getByTestId('telemetry-chart').waitFor({ timeout: 30_000 });
    await waitUntil(async () => {
      const lines = await drawn(W.page);
      const t = lines?.['temperature (°C)'];
      return t && [...t.values()].filter((v) => typeof v === 'number').length === points.length && [...t.values()].includes(null);
    }, { timeout: 30_000, message: 'the second stream drawn, with its break' });
    await W.page.getByTestId('chart-canvas').hover({ position: { x: 600, y: 120 } });
    await shot(W.page, '14-telemetry-chart.png');
  });

  await step('zooming back to batches stored long ago fetches them by time range; a lost batch is reported as a gap', async () => {
    assert(DB, 'DATABASE_URL is needed to backdate stored batches');
    // Readings from 30 minutes ago, stored (as the database now says) 30 minutes ago too: not in
    // the first page the chart loads, only in the range it fetches when the view reaches back.
    const old = makePoints(Date.now() - 30 * 60_000, 20, 100);
    await emit(old);
    sent.push(...old);
    psql(DB, `UPDATE messages SET server_ts = now() - interval '30 minutes' WHERE id IN (SELECT id FROM messages WHERE conversation_id = '${conversationId}' ORDER BY position DESC LIMIT 2)`);
    // The sender takes one earlier batch back (as a deleted message it holds no points): a gap.
    const [gone] = psql(DB, `SELECT position FROM messages WHERE conversation_id = '${conversationId}' ORDER BY position ASC OFFSET 3 LIMIT 1`).trim().split('\n');
    psql(DB, `UPDATE messages SET deleted_at = now(), ciphertext = NULL WHERE conversation_id = '${conversationId}' AND position = ${gone}`);
    const lostSeq = 2; // position 1 is the hello; the batches start at position 2 with seq 0
    const lost = new Set(sent.slice(lostSeq * 10, lostSeq * 10 + 10).map((p) => p[0]));
    const expected = sent.filter((p) => !lost.has(p[0]));
    await W.page.reload();
    await unlock(W.page, web.password);
    await openConversation(W.page, dev.username);
    await W.page.getByTestId('telemetry-chart').waitFor({ timeout: 30_000 });
    await W.page.getByTestId('gap-flag').filter({ hasText: `dev1 #${lostSeq}` }).waitFor({ timeout: 30_000 });
    const first = sameAsSent(await drawn(W.page), expected);
    assert(first !== 'same', 'the old readings are not in the last 5 minutes');
    await W.page.getByLabel('Time span (live)').selectOption({ label: '1 h' });
    await waitUntil(async () => sameAsSent(await drawn(W.page), expected) === 'same', { timeout: 30_000, message: 'the old readings fetched and drawn' }).catch(async (e) => {
      throw new Error(`${e.message}: ${sameAsSent(await drawn(W.page), expected)}`);
    });
  });

  await step('no CSP violations or page errors', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close().catch(() => {});
  for (const who of [dev, lab]) rmSync(who.dir, { recursive: true, force: true });
}

const ok = summary();
copyScreenshots(['14-telemetry-chart.png']);
process.exit(ok ? 0 : 1);
