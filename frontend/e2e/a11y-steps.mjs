// Accessibility (WCAG 2.1 AA) in real Chromium against the real server: axe-core finds no
// serious or critical violation on the sign-in screen, the messenger with an open chat (own and
// received messages, ticks), a dialog and the offline banner, in the light and the dark colour
// scheme; focus comes back to the opener when a dialog closes and lands in the app after
// sign-in; each message in a 1:1 chat names its sender to a screen reader.
//
// axe is injected as a script tag, which the server's CSP (no inline or foreign scripts) refuses:
// the checks run in a browser context of their own with `bypassCSP`, signed in as ann on a
// second device. Everything else runs with the CSP.
import { createRequire } from 'node:module';
import { assert, step, waitUntil } from './harness.mjs';
import { expectMessage, newUserPage, openConversation, send, shot, signIn } from './app.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious and critical violations on the page as it is, in one colour scheme. */
async function axeProblems(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  // Colour transitions (hover styles) would be measured half way through.
  await page.evaluate(() => Promise.all(globalThis.document.getAnimations().map((a) => a.finished.catch(() => {}))));
  if (!(await page.evaluate(() => typeof globalThis.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(globalThis.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join(' ').trim()}`) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

async function expectAccessible(page, what, darkShot = null) {
  const found = [];
  for (const scheme of ['light', 'dark']) {
    for (const v of await axeProblems(page, scheme)) found.push(`[${scheme}] ${v.impact} ${v.id} (${v.help})\n          ${v.nodes.join('\n          ')}`);
    if (scheme === 'dark' && darkShot) await shot(page, darkShot);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (found.length) await shot(page, `a11y-${what.replace(/\W+/g, '-')}.png`);
  assert(found.length === 0, `no serious or critical axe violations on ${what}:\n        ${found.join('\n        ')}`);
}

const focusedLabel = (page) =>
  page.evaluate(() => {
    const e = globalThis.document.activeElement;
    return e ? `${e.tagName.toLowerCase()}#${e.id}[${e.getAttribute('aria-label') ?? ''}]` : 'none';
  });

export async function a11ySteps({ base, browser, alice, bob, A, B, text, problems }) {
  let C = null; // ann on a second device, in a context that lets axe in
  const hello = text('Accessible hello');
  const reply = text('Accessible reply');
  try {
    await step('axe: the sign-in screen has no serious or critical violations (light and dark)', async () => {
      C = await newUserPage(browser, base, 'ann-axe', problems, { width: 1280, height: 800 }, { bypassCSP: true });
      await C.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
      await expectAccessible(C.page, 'the sign-in screen');
    });

    await step('after sign-in, focus lands in the app (the conversation filter or the composer), not on the page', async () => {
      await signIn(C.page, alice.username, alice.password);
      await C.page.getByTestId('me').waitFor({ timeout: 60_000 });
      await waitUntil(async () => /^(input#conv-filter|textarea#composer)/.test(await focusedLabel(C.page)), { message: 'focus on the filter or the composer' });
    });

    await step('axe: the messenger with an open chat (own and received messages, ticks) has no serious or critical violations', async () => {
      await openConversation(B.page, alice.username);
      await send(B.page, reply);
      await openConversation(C.page, bob.username);
      await expectMessage(C.page, reply);
      await send(C.page, hello);
      await expectMessage(B.page, hello);
      const mine = C.page.getByTestId('message').filter({ hasText: hello });
      await waitUntil(async () => ['delivered', 'read'].includes(await mine.getByTestId('ticks').getAttribute('data-delivery')), { message: 'ticks on the own message' });
      await expectAccessible(C.page, 'the messenger with an open chat', 'a11y-dark-chat.png');
    });

    await step('each message in a 1:1 chat names its sender to a screen reader ("You" for your own)', async () => {
      const rows = C.page.getByTestId('message');
      const n = await rows.count();
      assert(n >= 2, `messages in the chat (${n})`);
      for (let i = 0; i < n; i++) {
        const row = rows.nth(i);
        const mine = (await row.getAttribute('data-mine')) === 'true';
        const who = (await row.getByTestId('message-sender').textContent()).trim();
        assert(who === `${mine ? 'You' : bob.username}:`, `message ${i} names its sender (${who})`);
      }
      // What assistive technology gets: the accessibility tree of the message log.
      const tree = await C.page.getByRole('log', { name: 'Messages' }).ariaSnapshot();
      const lines = tree.split('\n');
      const reads = (who, what) => lines.some((l, i) => l.includes(`${who}:`) && lines.slice(i, i + 3).some((x) => x.includes(what)));
      if (!reads(bob.username, reply) || !reads('You', hello)) console.log(`      the log's accessibility tree:\n${tree}`);
      assert(reads(bob.username, reply), `the log reads "${bob.username}:" then "${reply}"`);
      assert(reads('You', hello), `the log reads "You:" then "${hello}"`);
      const ticks = C.page.getByTestId('message').filter({ hasText: hello }).getByTestId('ticks');
      assert(/^(Delivered|Read)$/.test((await ticks.textContent()).trim()), 'the ticks have a label of their own');
    });

    await step('axe: the Settings dialog has no serious or critical violations; closing it gives focus back to its opener', async () => {
      const opener = C.page.getByRole('button', { name: 'Settings' });
      await opener.click();
      const dialog = C.page.getByRole('dialog', { name: 'Settings' });
      await dialog.waitFor();
      await expectAccessible(C.page, 'the Settings dialog');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
      await waitUntil(async () => opener.evaluate((e) => e === globalThis.document.activeElement), { timeout: 5_000, message: `focus back on Settings (now ${await focusedLabel(C.page)})` });
    });

    await step('axe: the offline banner has no serious or critical violations (light and dark)', async () => {
      await C.context.setOffline(true);
      try {
        await C.page.getByTestId('connection-banner').waitFor({ timeout: 60_000 });
        await expectAccessible(C.page, 'the offline banner');
      } finally {
        await C.context.setOffline(false);
      }
    });

    await step('a dialog closed with Escape gives focus back to its opener too (New chat)', async () => {
      const opener = A.page.getByRole('button', { name: 'New chat' }).first();
      await opener.focus();
      await A.page.keyboard.press('Enter');
      const dialog = A.page.getByRole('dialog', { name: 'New chat' });
      await dialog.waitFor();
      await A.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await waitUntil(async () => opener.evaluate((e) => e === globalThis.document.activeElement), { timeout: 5_000, message: `focus back on New chat (now ${await focusedLabel(A.page)})` });
    });
  } finally {
    await C?.context.close();
  }
}
