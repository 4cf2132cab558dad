// Page helpers: what a person does in the Courier UI, through labels and roles.
import { ARTIFACTS, waitUntil } from './harness.mjs';

export async function newUserPage(browser, baseUrl, name, problems, viewport = { width: 1280, height: 800 }, options = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, ...options });
  const page = await context.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`[${name}] CSP: ${text}`);
    else if (msg.type() === 'error' && !/Failed to load resource|net::ERR/i.test(text)) problems.push(`[${name}] console error: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`[${name}] page error: ${e.message}`));
  await page.goto(baseUrl);
  return { context, page, name };
}

export async function shot(page, file) {
  await page.screenshot({ path: `${ARTIFACTS}${file}` });
}

export async function register(page, username, password, screenshot) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  const key = page.getByTestId('recovery-key');
  await key.waitFor({ timeout: 90_000 });
  const recoveryKey = (await key.textContent()).trim();
  if (screenshot) await shot(page, screenshot);
  // The confirmation step: the last group typed back (lowercase, as a person might).
  await page.getByLabel('Type the last group of your recovery key').fill(recoveryKey.split('-').at(-1).toLowerCase());
  await page.getByRole('button', { name: 'Continue to Courier' }).click();
  await page.getByTestId('me').waitFor({ timeout: 30_000 });
  return recoveryKey;
}

export async function unlock(page, password) {
  await page.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByTestId('me').waitFor({ timeout: 60_000 });
}

export async function signIn(page, username, password) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function startChat(page, username) {
  await page.getByRole('button', { name: 'New chat' }).first().click();
  await page.getByRole('dialog').getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 30_000 });
  await waitUntil(async () => (await page.getByTestId('chat-title').textContent()) === username, { message: `chat with ${username}` });
}

export async function openConversation(page, title) {
  const item = page.locator(`[data-testid="conversation"][data-title="${title}"]`);
  await item.waitFor({ timeout: 30_000 });
  await item.click();
  await waitUntil(async () => (await page.getByTestId('chat-title').textContent()) === title, { message: `open ${title}` });
}

export async function send(page, text) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

export function message(page, text) {
  return page.getByTestId('message').filter({ hasText: text });
}

export async function expectMessage(page, text, timeout = 20_000) {
  await message(page, text).first().waitFor({ timeout });
}

export async function countMessages(page, text) {
  return message(page, text).count();
}

/** The ⋯ button beside a message (by its id). */
export function menuButton(page, messageId) {
  return page.locator(`[data-message-id="${messageId}"]`).locator('xpath=..').getByRole('button', { name: 'Message actions' });
}

/** A long press with a finger on a message: its menu opens while the finger rests. */
export async function longPress(page, bubble) {
  const box = await bubble.boundingBox();
  const at = { pointerType: 'touch', isPrimary: true, pointerId: 7, clientX: box.x + 12, clientY: box.y + 12 };
  await bubble.dispatchEvent('pointerdown', at);
  await page.getByRole('menu', { name: 'Message actions' }).waitFor({ timeout: 5_000 });
  await bubble.dispatchEvent('pointerup', at);
}

export async function deliveryOf(page, text) {
  return message(page, text).first().getByTestId('ticks').getAttribute('data-delivery');
}

/** A hidden (or visible again) tab, as the page sees it: visibilityState overridden, the event fired. */
export async function setVisible(page, visible) {
  await page.evaluate((v) => {
    const d = globalThis.document;
    Object.defineProperty(d, 'visibilityState', { configurable: true, get: () => (v ? 'visible' : 'hidden') });
    Object.defineProperty(d, 'hidden', { configurable: true, get: () => !v });
    d.dispatchEvent(new globalThis.Event('visibilitychange'));
  }, visible);
}
