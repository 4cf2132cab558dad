// The attachment scenarios alone (they also run inside `npm run e2e`): two fresh people, then
// attachment-steps.mjs.   COURIER_URL=… DATABASE_URL=… [ATTACHMENTS_DIR=…] npm run e2e:attachments
import { randomBytes } from 'node:crypto';
import { assert, launch, onFailure, step, summary } from './harness.mjs';
import { newUserPage, openConversation, register, shot, startChat } from './app.mjs';
import { attachmentSteps } from './attachment-steps.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const run = randomBytes(3).toString('hex');
const nonce = randomBytes(4).toString('hex');
const alice = { username: `alice_${run}`, password: `correct horse ${run} battery` };
const bob = { username: `bob_${run}`, password: `tr0ub4dor&3 ${run} staple` };
const text = (label) => `${label} ${nonce}`;
const problems = [];
const sent = [];

console.log(`Courier attachments e2e against ${BASE} (run ${run})`);
const browser = await launch();
let A;
let B;
onFailure(async (n) => {
  for (const [who, p] of [['alice', A?.page], ['bob', B?.page]]) if (p && !p.isClosed()) await shot(p, `att-fail-${String(n).padStart(2, '0')}-${who}.png`);
  if (problems.length) console.log(`      console: ${problems.slice(-5).join('\n      ')}`);
});
try {
  await step('two people register and open a chat', async () => {
    A = await newUserPage(browser, BASE, 'alice', problems);
    B = await newUserPage(browser, BASE, 'bob', problems, { width: 1100, height: 800 });
    await Promise.all([register(A.page, alice.username, alice.password), register(B.page, bob.username, bob.password)]);
    await startChat(A.page, bob.username);
    await A.page.getByLabel('Message', { exact: true }).fill(text('hello'));
    await A.page.getByLabel('Message', { exact: true }).press('Enter');
    await openConversation(B.page, alice.username);
  }, { critical: true });

  await attachmentSteps({ alice, bob, A, B, sent, text, nonce, db: process.env.DATABASE_URL, attachmentsDir: process.env.ATTACHMENTS_DIR });

  await step('no CSP violations or page errors', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close().catch(() => {});
}
process.exit(summary() ? 0 : 1);
