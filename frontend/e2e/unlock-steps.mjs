// Staying unlocked on a trusted device, in real Chromium against the real server: "Keep this device
// unlocked" (the user key sealed under a non-extractable device key in IndexedDB), reloads and a
// second tab opening without the password, "Lock now" locking every tab, an unlock in one tab
// reopening the others, the idle auto-lock (activity in any tab counts), the record gone after a
// lock, the option turned off and on in Settings, and sign-out.
//
// Alice signs in again in a browser context of her own (her main context is left alone), with
// Playwright's fake clock installed before any page script runs: time flows normally, and
// `clock.fastForward` jumps half an hour at once, firing the idle timers as a real wait would.
// The functions passed to page.evaluate run in the page, with the browser's globals:
/* global TextEncoder, btoa, atob, localStorage, crypto, CryptoKey, indexedDB */
import { assert, step, waitUntil } from './harness.mjs';
import { shot, unlock } from './app.mjs';

const MINUTES = (n) => n * 60_000;

/** Which screen a freshly (re)loaded page settles on: 'unlocked', 'locked' (the password asked) or 'sign-in'. */
async function settled(page) {
  const me = page.getByTestId('me');
  const locked = page.getByRole('heading', { name: 'Unlock Courier' });
  const signIn = page.getByRole('heading', { name: 'Sign in' });
  await me.or(locked).or(signIn).first().waitFor({ timeout: 60_000 });
  if (await me.isVisible()) return 'unlocked';
  return (await locked.isVisible()) ? 'locked' : 'sign-in';
}

async function expectScreen(page, want, what) {
  const got = await settled(page);
  assert(got === want, `${what}: expected ${want}, got ${got}`);
}

/** Lets the page finish what the last fired timers started (React renders on MessageChannel turns). */
async function drain(page) {
  await page.evaluate(async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => {
        const c = new globalThis.MessageChannel();
        c.port1.onmessage = resolve;
        c.port2.postMessage(0);
      });
    }
  });
}

/** After a jump of the clock: has the page stayed unlocked (no lock is still on its way)? */
async function stillUnlocked(page) {
  await drain(page);
  return (await settled(page)) === 'unlocked' && (await hasRecord(page));
}

async function openSettings(page, tab) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog');
  if (tab) await dialog.getByRole('tab', { name: tab, exact: true }).click();
  return dialog;
}

/**
 * Everything this origin keeps, inspected in the page: the device-unlock record (is its key
 * non-extractable, is the blob the raw key, does it open to the real user key?) and whether the
 * raw user key, derived here from the password independently of the app, appears anywhere in
 * IndexedDB or localStorage, as bytes, base64, base64url or hex.
 */
async function inspectStorage(page, password) {
  return page.evaluate(async (pw) => {
    const enc = new TextEncoder();
    const b64 = (u) => btoa(String.fromCharCode(...u));
    const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const hex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');
    const device = JSON.parse(localStorage.getItem('courier:device'));
    const { id, username } = device.user;
    // docs/protocol.md §2.2–§2.5: PBKDF2 → master; HKDF "courier/v1/wrap" → stretch key; AES-GCM unwrap.
    const pbk = await crypto.subtle.importKey('raw', enc.encode(pw.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
    const master = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: fromB64(device.salt), iterations: device.kdf.iterations }, pbk, 256);
    const hk = await crypto.subtle.importKey('raw', master, 'HKDF', false, ['deriveBits']);
    const stretch = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode('courier/v1/wrap') }, hk, 256);
    const sk = await crypto.subtle.importKey('raw', stretch, 'AES-GCM', false, ['decrypt']);
    const wrappedUserKey = fromB64(device.keys.wrapped_user_key);
    const raw = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: wrappedUserKey.slice(0, 12), additionalData: enc.encode(`courier/v1/user-key|${username}`) }, sk, wrappedUserKey.slice(12)),
    );

    const texts = [b64(raw), b64(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), hex(raw)];
    const containsRaw = (bytes) => {
      outer: for (let i = 0; i + raw.length <= bytes.length; i++) {
        for (let j = 0; j < raw.length; j++) if (bytes[i + j] !== raw[j]) continue outer;
        return true;
      }
      return false;
    };
    const leaks = (v, seen = new Set()) => {
      if (v == null) return false;
      if (typeof v === 'string') return texts.some((t) => v.includes(t));
      if (v instanceof ArrayBuffer) return containsRaw(new Uint8Array(v));
      if (ArrayBuffer.isView(v)) return containsRaw(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      if (typeof v !== 'object' || seen.has(v) || v instanceof CryptoKey) return false;
      seen.add(v);
      return Object.values(v).some((x) => leaks(x, seen));
    };

    const entries = [];
    if ((await indexedDB.databases()).some((d) => d.name === 'courier')) {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open('courier');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      if (db.objectStoreNames.contains('kv')) {
        const store = db.transaction('kv').objectStore('kv');
        const all = (req) => new Promise((res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))));
        const [keys, values] = [await all(store.getAllKeys()), await all(db.transaction('kv').objectStore('kv').getAll())];
        keys.forEach((k, i) => entries.push([String(k), values[i]]));
      }
      db.close();
    }
    const leaked = [
      ...entries.filter(([, v]) => leaks(v)).map(([k]) => `indexedDB ${k}`),
      ...Object.keys(localStorage).filter((k) => leaks(localStorage.getItem(k))).map((k) => `localStorage ${k}`),
    ];
    const rec = entries.find(([k]) => k === `device-unlock:${id}`)?.[1] ?? null;
    let record = null;
    if (rec) {
      let exportRefused = false;
      try {
        await crypto.subtle.exportKey('raw', rec.key);
      } catch {
        exportRefused = true;
      }
      const opened = new Uint8Array(
        await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.wrapped.slice(0, 12), additionalData: enc.encode(`courier/local/device-unlock|${username}`) }, rec.key, rec.wrapped.slice(12)),
      );
      record = {
        isCryptoKey: rec.key instanceof CryptoKey,
        extractable: rec.key.extractable,
        algorithm: `${rec.key.algorithm.name}-${rec.key.algorithm.length}`,
        exportRefused,
        wrappedLength: rec.wrapped.length,
        opensToUserKey: opened.length === raw.length && opened.every((b, i) => b === raw[i]),
      };
    }
    return { userId: id, keys: entries.map(([k]) => k), record, leaked, rawLength: raw.length };
  }, password);
}

/** Whether this origin holds the signed-in (or remembered) user's device-unlock record. */
function hasRecord(page) {
  return page.evaluate(async () => {
    const id = JSON.parse(localStorage.getItem('courier:device') ?? 'null')?.user?.id;
    if (!id || !(await indexedDB.databases()).some((d) => d.name === 'courier')) return false;
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open('courier');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const found = await new Promise((res) => {
      const r = db.transaction('kv').objectStore('kv').get(`device-unlock:${id}`);
      r.onsuccess = () => res(r.result !== undefined);
      r.onerror = () => res(false);
    });
    db.close();
    return found;
  });
}

async function openPage(context, base, name, problems) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`[${name}] page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource|net::ERR/i.test(msg.text())) problems.push(`[${name}] console error: ${msg.text()}`);
  });
  await page.goto(base);
  return page;
}

export async function unlockSteps({ browser, base, alice, bob, problems }) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 800 } });
  let one;
  let two;
  const row = (page) => page.locator(`[data-testid="conversation"][data-title="${bob.username}"]`);

  try {
    await step('signing in with "Keep this device unlocked" stores only the user key sealed under a non-extractable device key', async () => {
      await context.clock.install();
      one = await openPage(context, base, 'ann-trusted', problems);
      await one.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
      await one.getByLabel('Username').fill(alice.username);
      await one.getByLabel('Password').fill(alice.password);
      const keep = one.getByLabel(/Keep this device unlocked/);
      assert(!(await keep.isChecked()), 'off unless chosen');
      await keep.check();
      await one.getByRole('button', { name: 'Sign in' }).click();
      await one.getByTestId('me').waitFor({ timeout: 60_000 });
      await row(one).waitFor({ timeout: 30_000 });
      await waitUntil(() => hasRecord(one), { message: 'the device-unlock record' });
      const s = await inspectStorage(one, alice.password);
      assert(s.rawLength === 32, 'the user key derived from the password independently of the app');
      const r = s.record;
      assert(r && r.isCryptoKey && r.algorithm === 'AES-GCM-256', `a stored AES-GCM-256 CryptoKey (${JSON.stringify(r)})`);
      assert(r.extractable === false && r.exportRefused, 'the device key is non-extractable: exporting it is refused');
      assert(r.wrappedLength === 12 + 32 + 16, `the blob is iv ‖ ciphertext ‖ tag, not the 32-byte key (${r.wrappedLength})`);
      assert(r.opensToUserKey, 'the blob opens (device key + AAD) to the real user key');
      assert(s.leaked.length === 0, `the raw user key is nowhere in IndexedDB or localStorage (found in ${s.leaked.join(', ')})`);
      assert(s.keys.includes(`device-unlock:${s.userId}:active`), 'the last activity is kept beside the record');
    });

    await step('a reload opens unlocked, without the password', async () => {
      await one.reload();
      await expectScreen(one, 'unlocked', 'after a reload');
      await row(one).waitFor({ timeout: 30_000 });
    });

    await step('a second tab opens unlocked', async () => {
      two = await openPage(context, base, 'ann-trusted-2', problems);
      await expectScreen(two, 'unlocked', 'the second tab');
      await row(two).waitFor({ timeout: 30_000 });
    });

    await step('"Lock now" in one tab locks both and deletes the record', async () => {
      const dialog = await openSettings(one, 'Account');
      await dialog.getByRole('button', { name: 'Lock now' }).click();
      await one.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 20_000 });
      await two.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 20_000 });
      assert((await one.getByTestId('me').count()) === 0 && (await two.getByTestId('me').count()) === 0, 'no messenger left on screen');
      await two.getByRole('status').filter({ hasText: 'locked in another tab' }).waitFor();
      await waitUntil(async () => !(await hasRecord(one)), { message: 'the record deleted' });
      await shot(two, 'unlock-locked-from-another-tab.png');
    });

    await step('unlocking in one tab (keep unlocked still chosen) reopens the other tab', async () => {
      assert(await one.getByLabel(/Keep this device unlocked/).isChecked(), 'the choice is remembered on the unlock form');
      await unlock(one, alice.password);
      await two.getByTestId('me').waitFor({ timeout: 60_000 });
      await row(two).waitFor({ timeout: 30_000 });
      await waitUntil(() => hasRecord(one), { message: 'the record stored again' });
    });

    await step('idle: activity in either tab keeps both open; 30 minutes without any locks both, and a reload asks for the password', async () => {
      await context.clock.fastForward(MINUTES(29));
      assert((await stillUnlocked(one)) && (await stillUnlocked(two)), 'still unlocked after 29 idle minutes');
      // Activity in the second tab only: the first tab's own last input is now 29 minutes old.
      await two.mouse.move(300, 300);
      await two.mouse.move(320, 340);
      await context.clock.fastForward(MINUTES(29));
      assert(await stillUnlocked(one), 'activity in the other tab counts (58 minutes since this tab’s own)');
      assert(await stillUnlocked(two), 'the active tab is open');
      await context.clock.fastForward(MINUTES(31));
      await one.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 20_000 });
      await two.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 20_000 });
      // Whichever tab's timer fired first, both say why.
      await one.getByRole('status').filter({ hasText: 'without activity' }).waitFor();
      await two.getByRole('status').filter({ hasText: 'without activity' }).waitFor();
      await waitUntil(async () => !(await hasRecord(one)), { message: 'the record deleted' });
      await one.reload();
      await expectScreen(one, 'locked', 'a reload after the idle lock');
      assert((await inspectStorage(one, alice.password)).leaked.length === 0, 'nothing of the key left');
    });

    await step('reopened after the idle time passed while the browser was closed: the password is asked', async () => {
      await unlock(one, alice.password);
      await two.getByTestId('me').waitFor({ timeout: 60_000 });
      await waitUntil(() => hasRecord(one), { message: 'the record stored again' });
      await one.close();
      await two.close();
      await context.clock.fastForward(MINUTES(31));
      one = await openPage(context, base, 'ann-trusted', problems);
      await expectScreen(one, 'locked', 'reopened 31 minutes later');
      await one.getByRole('status').filter({ hasText: 'without activity' }).waitFor();
      assert(!(await hasRecord(one)), 'the expired record was deleted');
    });

    await step('Settings → This device turns the option on (no password needed) and off; signing out deletes the record', async () => {
      await one.getByLabel(/Keep this device unlocked/).uncheck();
      await unlock(one, alice.password);
      // The tab appears once the session's lock settings are applied (the record written or not).
      let dialog = await openSettings(one, 'This device');
      assert(!(await hasRecord(one)), 'not kept when unchecked');
      const keep = dialog.getByLabel(/Keep this device unlocked/);
      assert(!(await keep.isChecked()), 'shown off');
      assert((await dialog.getByLabel('Lock after inactivity').inputValue()) === '30', 'the default idle time is 30 minutes');
      await keep.check();
      await waitUntil(() => hasRecord(one), { message: 'the record stored from Settings' });
      assert((await inspectStorage(one, alice.password)).record?.opensToUserKey, 'it opens to the user key');
      await dialog.getByLabel('Lock after inactivity').selectOption('5');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await one.reload();
      await expectScreen(one, 'unlocked', 'a reload after turning it on in Settings');
      await context.clock.fastForward(MINUTES(6));
      await one.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 20_000 });
      await unlock(one, alice.password);
      dialog = await openSettings(one, 'This device');
      assert((await dialog.getByLabel('Lock after inactivity').inputValue()) === '5', 'the idle time is kept');
      await dialog.getByLabel(/Keep this device unlocked/).uncheck();
      await waitUntil(async () => !(await hasRecord(one)), { message: 'the record deleted when turned off' });
      await dialog.getByLabel(/Keep this device unlocked/).check();
      await waitUntil(() => hasRecord(one), { message: 'stored again' });
      await dialog.getByRole('tab', { name: 'Account', exact: true }).click();
      await dialog.getByRole('button', { name: 'Sign out' }).click();
      await one.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
      const left = await one.evaluate(async () => {
        const db = await new Promise((res) => {
          const r = indexedDB.open('courier');
          r.onsuccess = () => res(r.result);
        });
        const keys = await new Promise((res) => {
          const r = db.transaction('kv').objectStore('kv').getAllKeys();
          r.onsuccess = () => res(r.result.map(String));
        });
        db.close();
        return keys.filter((k) => k.startsWith('device-unlock:'));
      });
      assert(left.length === 0, `no device-unlock record after signing out (${left.join(', ')})`);
    });
  } finally {
    await context.close();
  }
}
