// Telling people when something happens, in real Chromium against the real server: desktop
// notifications (the permission granted in the browser context; `Notification` observed in the
// page), the unread total in the tab title, muting, the "N unread messages" divider, read
// receipts only for what is on screen, and the "New messages ↓" pill.
//
// A hidden tab is simulated by overriding document.visibilityState in the page and firing
// `visibilitychange` (headless Chromium keeps every page visible); the app reads exactly that.
import { assert, step, waitUntil } from './harness.mjs';
import { deliveryOf, expectMessage, message, openConversation, send, setVisible, shot } from './app.mjs';

/** Records every notification the page creates (after the real constructor accepted it). */
async function watchNotifications(page) {
  await page.evaluate(() => {
    const g = globalThis;
    if (g.__notes) return;
    g.__notes = [];
    const Real = g.Notification;
    g.Notification = class extends Real {
      constructor(title, options = {}) {
        super(title, options);
        g.__notes.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
      }
    };
  });
}

const notes = (page) => page.evaluate(() => globalThis.__notes);

function unreadInTitle(title) {
  const m = /^(?:\((\d+)\) )?Courier$/.exec(title);
  assert(m, `the title is "Courier" or "(N) Courier" (${title})`);
  return Number(m[1] ?? 0);
}

async function notificationSettings(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Notifications' }).click();
  return page.getByRole('dialog');
}

export async function attentionSteps({ base, alice, bob, A, B, sent, text }) {
  const say = async (t) => {
    sent.push(t);
    await send(B.page, t);
  };
  let baseline = 0;
  const row = () => A.page.locator(`[data-testid="conversation"][data-title="${bob.username}"]`);
  const log = () => A.page.getByRole('log', { name: 'Messages' });

  await step('notifications are asked for from a click, shown for a message to a hidden tab (never for the chat in view), and the title counts unread', async () => {
    await A.context.grantPermissions(['notifications'], { origin: base });
    await openConversation(A.page, bob.username);
    await openConversation(B.page, alice.username);
    await watchNotifications(A.page);
    baseline = unreadInTitle(await A.page.title());
    assert((await notes(A.page)).length === 0, 'nothing is shown (or asked) on load');

    const dialog = await notificationSettings(A.page);
    assert(/Off/.test(await dialog.getByTestId('notification-status').textContent()), 'off until turned on');
    await dialog.getByRole('button', { name: 'Turn on notifications' }).click();
    await dialog.getByTestId('notification-status').filter({ hasText: /^On:/ }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await setVisible(A.page, false);
    const hidden = text('While your tab is hidden');
    await say(hidden);
    await waitUntil(async () => (await notes(A.page)).some((n) => n.body === hidden), { message: 'a notification for the hidden tab' });
    const note = (await notes(A.page)).find((n) => n.body === hidden);
    assert(note.title === bob.username, `the notification names the sender (${note.title})`);
    await waitUntil(async () => (await A.page.title()) === `(${baseline + 1}) Courier`, { message: `the title "(${baseline + 1}) Courier"` });
    await expectMessage(A.page, hidden);
    await waitUntil(async () => (await deliveryOf(B.page, hidden)) === 'delivered', { message: 'delivered to the hidden tab' });
    assert((await deliveryOf(B.page, hidden)) === 'delivered', 'not read while the tab is hidden');

    await setVisible(A.page, true);
    await waitUntil(async () => (await deliveryOf(B.page, hidden)) === 'read', { message: 'read once the tab is visible' });
    await waitUntil(async () => unreadInTitle(await A.page.title()) === baseline, { message: 'the title count back down' });

    const inView = text('While you look at the chat');
    await say(inView);
    await expectMessage(A.page, inView);
    assert(!(await notes(A.page)).some((n) => n.body === inView), 'no notification for the chat open in a visible tab');
  });

  await step('with "Hide sender and content" a notification says only "New message"', async () => {
    const dialog = await notificationSettings(A.page);
    await dialog.getByLabel(/Hide sender and content/).check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const before = (await notes(A.page)).length;
    await setVisible(A.page, false);
    const secret = text('The surprise party is on Friday');
    await say(secret);
    await waitUntil(async () => (await notes(A.page)).length > before, { message: 'a notification' });
    const shown = (await notes(A.page)).slice(before);
    assert(shown.every((n) => n.title === 'Courier' && n.body === 'New message'), `only "New message" (${JSON.stringify(shown)})`);
    assert(!JSON.stringify(shown).includes(bob.username) && !JSON.stringify(shown).includes('surprise'), 'neither sender nor content');
    await setVisible(A.page, true);
    await waitUntil(async () => (await deliveryOf(B.page, secret)) === 'read', { message: 'read once visible' });
  });

  await step('a muted chat never notifies and is not counted in the title', async () => {
    await A.page.getByRole('button', { name: 'Mute this conversation' }).click();
    assert((await A.page.getByTestId('mute-toggle').getAttribute('aria-pressed')) === 'true', 'the bell shows muted');
    await row().getByTestId('muted-mark').waitFor();
    const before = (await notes(A.page)).length;
    await setVisible(A.page, false);
    const quiet = text('Into a muted chat');
    await say(quiet);
    await expectMessage(A.page, quiet);
    await waitUntil(async () => (await row().getByTestId('unread-badge').count()) === 1, { message: 'counted unread in the list' });
    assert((await notes(A.page)).length === before, 'no notification for a muted chat');
    assert(unreadInTitle(await A.page.title()) === baseline, 'a muted chat is not counted in the title');
    await A.page.getByRole('button', { name: 'Mute this conversation' }).click();
    await waitUntil(async () => unreadInTitle(await A.page.title()) === baseline + 1, { message: 'counted again once unmuted' });
    await setVisible(A.page, true);
    await waitUntil(async () => unreadInTitle(await A.page.title()) === baseline, { message: 'read once visible' });
    const stored = await A.page.evaluate(() => Object.keys(globalThis.localStorage).filter((k) => k.startsWith('courier:prefs:')).length);
    assert(stored === 1, 'the preferences are kept on this device');
  });

  await step('opening a chat shows "N unread messages" at the first unread; only what is on screen is marked read; a pill when scrolled up', async () => {
    await A.page.setViewportSize({ width: 390, height: 640 });
    await A.page.getByRole('button', { name: 'Back to conversations' }).click();
    await row().waitFor();
    const burst = Array.from({ length: 25 }, (_, i) => text(`Unread ${String(i + 1).padStart(2, '0')}`));
    for (const t of burst) await say(t);
    await waitUntil(async () => (await row().getByTestId('unread-badge').textContent()) === '25', { message: '25 unread' });
    assert(unreadInTitle(await A.page.title()) === baseline + 25, `the title counts them (${await A.page.title()})`);

    await A.page.setViewportSize({ width: 1100, height: 640 });
    await openConversation(A.page, bob.username);
    const divider = A.page.getByTestId('unread-divider');
    await divider.waitFor();
    assert((await divider.textContent()).trim() === '25 unread messages', `the divider (${await divider.textContent()})`);
    const inView = async (t) => {
      const box = await log().boundingBox();
      const m = await message(A.page, t).first().boundingBox();
      return m.y + m.height > box.y && m.y < box.y + box.height;
    };
    await shot(A.page, '12-unread-divider.png');
    assert(await inView(burst[0]), 'opened at the first unread message');
    assert(!(await inView(burst.at(-1))), 'the newest is below the view');
    await waitUntil(async () => (await deliveryOf(B.page, burst[0])) === 'read', { message: 'what is on screen is read' });
    assert((await deliveryOf(B.page, burst.at(-1))) === 'delivered', 'what is off screen is not read');
    const left = Number(await row().getByTestId('unread-badge').textContent());
    assert(left > 0 && left < 25, `the rest stays unread (${left})`);

    await log().evaluate((el) => (el.scrollTop = el.scrollHeight));
    await waitUntil(async () => (await deliveryOf(B.page, burst.at(-1))) === 'read', { message: 'read after scrolling down' });
    await row().getByTestId('unread-badge').waitFor({ state: 'detached' });

    await log().evaluate((el) => (el.scrollTop = 0));
    const below = text('Arrives while you read older ones');
    await say(below);
    const pill = A.page.getByTestId('new-messages-pill');
    await pill.waitFor();
    await shot(A.page, '13-new-messages-pill.png');
    await waitUntil(async () => (await deliveryOf(B.page, below)) === 'delivered', { message: 'delivered' });
    assert(!(await inView(below)), 'the view did not jump');
    assert((await deliveryOf(B.page, below)) === 'delivered', 'not read while scrolled up');
    await pill.click();
    await pill.waitFor({ state: 'detached' });
    await waitUntil(async () => (await deliveryOf(B.page, below)) === 'read', { message: 'read after the pill' });
    await A.page.setViewportSize({ width: 1280, height: 800 });
  });
}
