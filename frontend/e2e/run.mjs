// Browser end-to-end test: two people in two Chromium profiles chat through the real server.
//   COURIER_URL=https://localhost:8443 DATABASE_URL=postgres://… npm run e2e
// Always against the real server and its PostgreSQL: there is no mock API.
import { randomBytes } from 'node:crypto';
import { assert, copyScreenshots, launch, onFailure, step, summary, waitUntil } from './harness.mjs';
import { countMessages, deliveryOf, expectMessage, longPress, menuButton, message, newUserPage, openConversation, register, send, shot, signIn, startChat, unlock } from './app.mjs';
import { dumpDatabase, plaintextFindings, substituteKeyInDb } from './db.mjs';
import { substituteKeys } from './keys.mjs';
import { accountSteps } from './account-steps.mjs';
import { attentionSteps } from './attention-steps.mjs';
import { attachmentSteps } from './attachment-steps.mjs';

const BASE = (process.env.COURIER_URL ?? 'https://localhost:8443').replace(/\/$/, '');
const DB = process.env.DATABASE_URL;
const run = randomBytes(3).toString('hex');
const alice = { username: `alice_${run}`, password: `correct horse ${run} battery` };
const bob = { username: `bob_${run}`, password: `tr0ub4dor&3 ${run} staple` };
const nonce = randomBytes(4).toString('hex');
const text = (label) => `${label} ${nonce}`;
const sent = [];
const problems = [];

console.log(`Courier e2e against ${BASE} (run ${run})`);
if (!DB) console.log('  DATABASE_URL is not set: the database checks will fail');

const browser = await launch();
let A;
let B;
onFailure(async (n) => {
  for (const [who, p] of [['alice', A?.page], ['bob', B?.page]]) if (p && !p.isClosed()) await shot(p, `fail-${String(n).padStart(2, '0')}-${who}.png`);
  if (problems.length) console.log(`      console: ${problems.slice(-5).join('\n      ')}`);
});
try {
  await step('the server answers and serves the app', async () => {
    A = await newUserPage(browser, BASE, 'alice', problems);
    B = await newUserPage(browser, BASE, 'bob', problems, { width: 1100, height: 800 });
    await A.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    await shot(A.page, '00-sign-in.png');
  }, { critical: true });

  await step('two people register and are shown their recovery key once', async () => {
    const [ka, kb] = await Promise.all([register(A.page, alice.username, alice.password, '01-recovery-key.png'), register(B.page, bob.username, bob.password)]);
    // A recovery code (docs/protocol.md §2.3): Crockford base32, 13 groups of 4, no I, L, O or U.
    assert(/^(?:[0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/.test(ka) && ka !== kb, `recovery keys are recovery codes (${ka})`);
  }, { critical: true });

  await step('alice finds bob by exact username and messages him; bob gets it live', async () => {
    await startChat(A.page, bob.username);
    sent.push(text('Hello Bob, this is Alice'));
    await send(A.page, sent.at(-1));
    await expectMessage(A.page, sent.at(-1));
    await openConversation(B.page, alice.username);
    await expectMessage(B.page, sent.at(-1));
  }, { critical: true });

  await step('bob replies and alice gets it live', async () => {
    sent.push(text('Hi Alice! Got your message <b>not bold</b>'));
    await send(B.page, sent.at(-1));
    await expectMessage(A.page, sent.at(-1));
    const html = await message(A.page, sent.at(-1)).first().innerHTML();
    assert(html.includes('&lt;b&gt;not bold&lt;/b&gt;'), 'decrypted text is rendered as text, never HTML');
  });

  await step("alice's message reaches 'read' while bob has the chat open", async () => {
    await waitUntil(async () => (await deliveryOf(A.page, sent[0])) === 'read', { message: 'read ticks' });
  });

  await step('alice sees bob typing', async () => {
    await B.page.getByLabel('Message', { exact: true }).pressSequentially('typing some', { delay: 40 });
    await waitUntil(async () => /is typing/.test(await A.page.getByTestId('chat-status').textContent()), { message: 'typing indicator' });
    const item = A.page.locator(`[data-testid="conversation"][data-title="${bob.username}"]`);
    await waitUntil(async () => /, online/.test(await item.getAttribute('aria-label')), { message: 'bob shown online' });
    await shot(A.page, '02-chat.png');
    await B.page.getByLabel('Message', { exact: true }).fill('');
  });

  await step('both see the same safety number, and alice marks bob verified', async () => {
    await A.page.getByRole('button', { name: 'View safety number' }).click();
    const na = await A.page.getByTestId('safety-number').getAttribute('aria-label');
    await shot(A.page, '03-safety-number.png');
    await B.page.getByRole('button', { name: 'View safety number' }).click();
    const nb = await B.page.getByTestId('safety-number').getAttribute('aria-label');
    assert(na.split(': ')[1] === nb.split(': ')[1] && /^(\d{5} ){11}\d{5}$/.test(na.split(': ')[1]), `safety numbers match (${na} / ${nb})`);
    await B.page.getByRole('button', { name: 'Close' }).click();
    await A.page.getByRole('button', { name: 'Mark as verified' }).click();
    await A.page.getByTestId('verified-badge').waitFor();
    await A.page.getByRole('button', { name: 'Close' }).click();
    await A.page.getByTestId('verified-mark').waitFor();
  });

  await step('bob goes offline, comes back and finds what he missed', async () => {
    await B.context.setOffline(true);
    await B.page.getByTestId('connection-banner').waitFor({ timeout: 15_000 });
    sent.push(text('Sent while you were offline (1)'), text('Sent while you were offline (2)'));
    await send(A.page, sent.at(-2));
    await send(A.page, sent.at(-1));
    await waitUntil(async () => (await deliveryOf(A.page, sent.at(-1))) === 'sent', { message: 'stored while bob is offline' });
    await shot(B.page, '04-offline.png');
    assert((await countMessages(B.page, sent.at(-1))) === 0, 'bob is really offline');
    await B.context.setOffline(false);
    await expectMessage(B.page, sent.at(-2), 30_000);
    await expectMessage(B.page, sent.at(-1), 30_000);
    await B.page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
  });

  await step('a reload resumes without loss or duplicates (unlock with the password)', async () => {
    await B.page.reload();
    sent.push(text('Sent while bob was reloading'));
    await send(A.page, sent.at(-1));
    await unlock(B.page, bob.password);
    await openConversation(B.page, alice.username).catch(() => {});
    for (const t of sent) {
      await expectMessage(B.page, t, 30_000);
      assert((await countMessages(B.page, t)) === 1, `exactly one copy of "${t}"`);
    }
    await waitUntil(async () => (await deliveryOf(A.page, sent.at(-1))) === 'read', { message: 'read after reload' });
  });

  await step('delete for everyone removes the message on both sides', async () => {
    sent.push(text('Oops, wrong chat'));
    await send(A.page, sent.at(-1));
    await expectMessage(B.page, sent.at(-1));
    const bubble = message(A.page, sent.at(-1)).first();
    const id = await bubble.getAttribute('data-message-id');
    await bubble.hover();
    await menuButton(A.page, id).click();
    await A.page.getByRole('menuitem', { name: 'Delete for everyone' }).click();
    await A.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await waitUntil(async () => (await B.page.locator(`[data-message-id="${id}"]`).getAttribute('data-kind')) === 'deleted', { message: 'deleted at bob' });
    assert((await countMessages(B.page, sent.at(-1))) === 0, 'deleted text is gone');
  });

  await attachmentSteps({ alice, bob, A, B, sent, text, nonce, db: DB, attachmentsDir: process.env.ATTACHMENTS_DIR });

  await step('a text over 8 000 characters is never cut: a counter, and sending is refused with the reason', async () => {
    const box = A.page.getByLabel('Message', { exact: true });
    const long = `too long ${nonce} ${'x'.repeat(8_100)}`;
    await box.fill(long);
    assert((await box.inputValue()) === long, 'the whole text stays in the box');
    const counter = await A.page.getByTestId('composer-counter').textContent();
    assert(/^8\u202f1\d\d \/ 8\u202f000$/.test(counter), `a counter (${JSON.stringify(counter)})`);
    const why = await A.page.getByTestId('composer-too-long').textContent();
    assert(/Too long to send/.test(why), `the reason (${why})`);
    assert(await A.page.getByRole('button', { name: 'Send' }).isDisabled(), 'Send is disabled');
    const before = await A.page.getByTestId('message').count();
    await box.press('Enter');
    assert((await A.page.getByTestId('message').count()) === before && (await box.inputValue()) === long, 'Enter sends nothing and keeps the text');
    const exact = `limit ${nonce} `.padEnd(8_000, 'y');
    await box.fill(exact);
    await A.page.getByTestId('composer-too-long').waitFor({ state: 'detached' });
    await box.press('Enter');
    sent.push(exact);
    await message(B.page, `limit ${nonce}`).first().waitFor({ timeout: 30_000 });
    assert((await message(B.page, `limit ${nonce}`).first().textContent()).includes(exact), 'exactly 8 000 characters arrive whole');
  });

  await step('the chat works on a narrow screen', async () => {
    await B.page.setViewportSize({ width: 390, height: 844 });
    await B.page.getByTestId('chat-title').waitFor();
    await shot(B.page, '05-mobile-chat.png');
    await B.page.getByRole('button', { name: 'Back to conversations' }).click();
    await B.page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await shot(B.page, '06-mobile-list.png');
    await B.page.setViewportSize({ width: 1100, height: 800 });
  });

  await step('on a touch screen: quick messages leave no typing behind; a long press opens the message menu: copy, and delete for everyone', async () => {
    const P = await newUserPage(browser, BASE, 'bob-phone', problems, { width: 390, height: 844 }, { hasTouch: true, isMobile: true });
    try {
      await P.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
      await signIn(P.page, bob.username, bob.password);
      await P.page.getByTestId('me').waitFor({ timeout: 60_000 });
      await openConversation(P.page, alice.username);

      // Two quick messages from this fresh page. Before the fix, the second one's typing notification
      // was refused (429, one a second) and retried after the message: alice saw "typing" for 6 s.
      const box = P.page.getByLabel('Message', { exact: true });
      const quick = [text('quick one'), text('quick two')];
      for (const q of quick) {
        await box.fill(q);
        await box.press('Enter');
        sent.push(q);
      }
      await expectMessage(A.page, quick.at(-1));
      const end = Date.now() + 2_500; // longer than the old retry (1.1 s): an observation window, not a wait
      while (Date.now() < end) {
        const status = await A.page.getByTestId('chat-status').textContent();
        assert(!/is typing/.test(status), `no typing indicator after the messages (${status})`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const theirs = message(P.page, sent[0]).first();
      await theirs.waitFor({ timeout: 30_000 });
      const id = await theirs.getAttribute('data-message-id');
      const opacity = await menuButton(P.page, id).evaluate((el) => el.ownerDocument.defaultView.getComputedStyle(el).opacity);
      assert(opacity === '1', `the ⋯ button shows without hover on a touch screen (opacity ${opacity})`);
      await longPress(P.page, theirs);
      assert((await P.page.getByRole('menuitem', { name: 'Delete for everyone' }).count()) === 0, "no delete for someone else's message");
      await P.page.getByRole('menuitem', { name: 'Copy text' }).click();
      await P.page.getByTestId('toast').filter({ hasText: 'Copied' }).waitFor();
      const copied = await P.page.evaluate(() => globalThis.navigator.clipboard.readText());
      assert(copied === sent[0], `the text was copied (${copied})`);

      const mine = text('From the phone, then taken back');
      await send(P.page, mine);
      await expectMessage(A.page, mine);
      const bubble = message(P.page, mine).first();
      await waitUntil(async () => (await bubble.getByTestId('ticks').getAttribute('data-delivery')) !== 'sending', { message: 'stored' });
      const mineId = await bubble.getAttribute('data-message-id');
      await longPress(P.page, bubble);
      await P.page.getByRole('menuitem', { name: 'Delete for everyone' }).click();
      await P.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await waitUntil(async () => (await A.page.locator(`[data-message-id="${mineId}"]`).getAttribute('data-kind')) === 'deleted', { message: 'deleted at alice' });
      await shot(P.page, '11-message-menu.png');
    } finally {
      await P.context.close();
    }
  });

  await accountSteps({ browser, base: BASE, run, problems, alice, bob, A, B, sent, text });

  await step('a draft is kept per conversation across switching chats and a reload', async () => {
    const box = () => B.page.getByLabel('Message', { exact: true });
    const row = B.page.locator(`[data-testid="conversation"][data-title="${alice.username}"]`);
    const draft = text('A draft for alice, sent later');
    await openConversation(B.page, alice.username);
    await box().fill(draft);
    await openConversation(B.page, `Weekend ${run}`);
    assert((await box().inputValue()) === '', 'the group has its own, empty, draft');
    await row.getByTestId('draft-preview').filter({ hasText: draft }).waitFor({ timeout: 10_000 });
    await openConversation(B.page, alice.username);
    assert((await box().inputValue()) === draft, 'the draft is back after switching');
    await openConversation(B.page, `Weekend ${run}`);
    await row.getByTestId('draft-preview').filter({ hasText: draft }).waitFor({ timeout: 10_000 }); // stored
    await B.page.reload();
    await unlock(B.page, bob.password);
    await row.getByTestId('draft-preview').filter({ hasText: draft }).waitFor({ timeout: 30_000 });
    await openConversation(B.page, alice.username);
    await waitUntil(async () => (await box().inputValue()) === draft, { message: 'the draft after a reload' });
    await box().press('Enter');
    sent.push(draft);
    await openConversation(A.page, bob.username);
    await expectMessage(A.page, draft);
    await openConversation(B.page, `Weekend ${run}`);
    await B.page.reload();
    await unlock(B.page, bob.password);
    await row.waitFor({ timeout: 30_000 });
    await openConversation(B.page, alice.username);
    assert((await box().inputValue()) === '' && (await row.getByTestId('draft-preview').count()) === 0, 'a sent draft is gone');
  });

  await attentionSteps({ base: BASE, alice, bob, A, B, sent, text });

  await step("a substituted key for bob raises a blocking warning at alice's", async () => {
    const keys = await substituteKeys();
    assert(DB, 'DATABASE_URL is needed to substitute a key');
    substituteKeyInDb(DB, bob.username, keys);
    await A.page.reload();
    await unlock(A.page, alice.password);
    await openConversation(A.page, bob.username);
    await A.page.getByTestId('key-change-warning').waitFor({ timeout: 30_000 });
    assert((await A.page.getByLabel('Message', { exact: true }).count()) === 0, 'no composer while the key change is not accepted');
    assert((await A.page.getByTestId('verified-mark').count()) === 0, 'the verified mark is gone');
    await A.page.getByRole('button', { name: 'Review safety number' }).click();
    const accept = A.page.getByRole('button', { name: 'Accept the new key' });
    await accept.waitFor();
    const why = await A.page.getByTestId('key-change-explanation').textContent();
    assert(/This is unexpected/.test(why) && !/normal if/.test(why), `a key change is called unexpected (${why})`);
    assert(await accept.isDisabled(), 'accepting needs the safety number compared first');
    const keep = A.page.getByRole('button', { name: 'Keep sending paused' });
    assert((await keep.getAttribute('data-variant')) === 'primary' && (await accept.getAttribute('data-variant')) === 'secondary', 'the safe choice is the prominent one');
    await A.page.getByLabel(/I compared this safety number/).check();
    assert(await accept.isEnabled(), 'accept is possible once compared');
    await shot(A.page, '07-key-change.png');
    await keep.click();
    await A.page.getByRole('dialog').waitFor({ state: 'detached' });
    assert((await A.page.getByTestId('key-change-warning').count()) === 1, 'still paused after "Keep sending paused"');
  });

  await step('the database holds no plaintext of any message sent', async () => {
    assert(DB, 'DATABASE_URL is needed to inspect the database');
    const dump = dumpDatabase(DB);
    assert(dump.includes(bob.username), 'the dump is of the database the server uses');
    const findings = plaintextFindings(dump, [...sent, nonce]);
    assert(findings.length === 0, `plaintext found: ${findings.join(', ')}`);
  });

  await step('no CSP violations or page errors', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close().catch(() => {});
}

const ok = summary();
copyScreenshots(['02-chat.png', '03-safety-number.png', '05-mobile-chat.png', '07-key-change.png', '12-attachments.png', '13-image-viewer.png']);
process.exit(ok ? 0 : 1);
