// Browser reliability and usability end to end (issue 14): two people in two Chromium contexts
// against the real server and PostgreSQL. Each area's steps live in their own module
// (e2e/<area>-steps.mjs) and get the same people, pages and helpers:
//   COURIER_URL=https://localhost:8443 DATABASE_URL=postgres://… npm run e2e:reliability
import { randomBytes } from 'node:crypto';
import { copyScreenshots, launch, onFailure, step, summary } from './harness.mjs';
import { newUserPage, register, shot, startChat } from './app.mjs';
import { a11ySteps } from './a11y-steps.mjs';
import { cacheSteps } from './cache-steps.mjs';
import { defectsSteps } from './defects-steps.mjs';
import { outboxSteps } from './outbox-steps.mjs';
import { unlockSteps } from './unlock-steps.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const DB = process.env.DATABASE_URL;
const run = randomBytes(3).toString('hex');
const alice = { username: `ann_${run}`, password: `reliable horse ${run} battery` };
const bob = { username: `ben_${run}`, password: `steady staple ${run} tr0ub4dor` };
const nonce = randomBytes(4).toString('hex');
const text = (label) => `${label} ${nonce}`;
const problems = [];

// Each area adds its module here: `export async function xSteps(ctx)`, run in this order.
const areas = [cacheSteps, outboxSteps, unlockSteps, defectsSteps, a11ySteps];

console.log(`Courier reliability e2e against ${BASE} (run ${run})`);
const browser = await launch();
const ctx = { base: BASE, db: DB, browser, alice, bob, A: null, B: null, text, problems, run };
onFailure(async (n) => {
  for (const [who, p] of [['alice', ctx.A?.page], ['bob', ctx.B?.page]]) if (p && !p.isClosed()) await shot(p, `rel-fail-${String(n).padStart(2, '0')}-${who}.png`);
  if (problems.length) console.log(`      console: ${problems.slice(-5).join('\n      ')}`);
});
try {
  await step('two people register and start a chat', async () => {
    ctx.A = await newUserPage(browser, BASE, 'ann', problems);
    ctx.B = await newUserPage(browser, BASE, 'ben', problems, { width: 1100, height: 800 });
    alice.recoveryKey = await register(ctx.A.page, alice.username, alice.password);
    bob.recoveryKey = await register(ctx.B.page, bob.username, bob.password);
    await startChat(ctx.A.page, bob.username);
  }, { critical: true });
  for (const area of areas) await area(ctx);
} finally {
  await browser.close();
}
if (problems.length) console.log(`\nbrowser console:\n  ${problems.join('\n  ')}`);
const ok = summary();
copyScreenshots(['outbox-01-queued-offline.png', 'outbox-02-not-sent.png', 'unlock-locked-from-another-tab.png', 'defects-01-recovery-code.png', 'defects-02-member-lines.png', 'a11y-dark-chat.png']);
process.exit(ok ? 0 : 1);
