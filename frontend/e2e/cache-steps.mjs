// The encrypted local history cache, in real Chromium against the real server: after a reload the
// chat and the list's preview are shown from this device while the network is blocked; what was
// sent meanwhile arrives once the network is back, each message once; and a reload opens only
// what is new (RSA-OAEP unwraps of message keys are counted in the page: one per message opened)
// and fetches no more than the open chat's newest page.
//
// The cache is written a moment after changes and whenever the tab is hidden: hiding the tab (as
// attention-steps.mjs does: document.visibilityState overridden, `visibilitychange` fired) and
// waiting for the sealed list record to change is the condition that it holds what is on screen.
import { assert, step, waitUntil } from './harness.mjs';
import { countMessages, expectMessage, openConversation, send, setVisible, unlock } from './app.mjs';

const BLOCKED = /\/api\/(conversations|events)(\/|\?|$)/;
const HISTORY = /\/api\/conversations\/[^/]+\/messages/;

/** The history cache's records (key → sealed bytes as hex); none before the database exists. */
function cacheRecords(page) {
  return page.evaluate(async () => {
    const idb = globalThis.indexedDB;
    if (!(await idb.databases()).some((d) => d.name === 'courier')) return {};
    return new Promise((resolve, reject) => {
      const r = idb.open('courier');
      r.onerror = () => reject(r.error);
      r.onsuccess = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains('kv')) return db.close(), resolve({});
        const store = db.transaction('kv').objectStore('kv');
        const keys = store.getAllKeys();
        const values = store.getAll();
        values.onsuccess = () => {
          const out = {};
          keys.result.forEach((k, i) => {
            const v = values.result[i];
            if (String(k).startsWith('history:')) out[k] = v instanceof Uint8Array ? Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') : `not bytes: ${typeof v}`;
          });
          db.close();
          resolve(out);
        };
        values.onerror = () => reject(values.error);
      };
    });
  });
}

const listRecord = async (page) => Object.entries(await cacheRecords(page)).find(([k]) => k.endsWith(':list'))?.[1] ?? null;

/** Hides the tab (the cache is written) and waits until the sealed list record was rewritten. */
async function cacheWritten(page) {
  const before = await listRecord(page);
  await setVisible(page, false);
  await waitUntil(async () => {
    const now = await listRecord(page);
    return now !== null && now !== before;
  }, { message: 'the history cache written' });
  await setVisible(page, true);
}

/** Counts, from the next load on, the message keys the page unwraps (RSA-OAEP with a label). */
async function countUnwraps(page) {
  await page.addInitScript(() => {
    const g = globalThis;
    g.__unwraps = 0;
    const real = g.SubtleCrypto.prototype.decrypt;
    g.SubtleCrypto.prototype.decrypt = function (alg, key, data) {
      if (alg && typeof alg === 'object' && alg.name === 'RSA-OAEP' && alg.label) g.__unwraps += 1;
      return real.call(this, alg, key, data);
    };
  });
}

const unwraps = (page) => page.evaluate(() => globalThis.__unwraps);

export async function cacheSteps({ alice, bob, A, B, text }) {
  const row = () => A.page.locator(`[data-testid="conversation"][data-title="${bob.username}"]`);
  const before = [text('Cached one'), text('Cached two'), text('Cached three')];
  const away = [text('Sent while ann was away'), text('Also while away')];
  const after = text('After the second reload');
  const expectOnce = async (t) => {
    await expectMessage(A.page, t);
    assert((await countMessages(A.page, t)) === 1, `"${t}" shown once (${await countMessages(A.page, t)})`);
  };

  await step('after a reload the chat and the list preview are shown from the encrypted cache while the network is blocked', async () => {
    await openConversation(B.page, alice.username);
    await send(A.page, before[0]);
    await expectMessage(B.page, before[0]);
    await send(B.page, before[1]);
    await expectMessage(A.page, before[1]);
    await send(A.page, before[2]);
    await expectMessage(B.page, before[2]);
    await cacheWritten(A.page);
    const records = await cacheRecords(A.page);
    assert(Object.keys(records).length >= 2, `a list record and a conversation record (${Object.keys(records).join(', ')})`);
    const plain = before.map((t) => Buffer.from(t).toString('hex'));
    for (const [k, hex] of Object.entries(records)) {
      assert(!hex.startsWith('not bytes'), `${k} is sealed bytes`);
      assert(!plain.some((p) => hex.includes(p)) && !hex.includes(Buffer.from(bob.username).toString('hex')), `${k} holds nothing readable`);
    }

    await countUnwraps(A.page);
    await A.page.route(BLOCKED, (r) => r.abort());
    await A.page.reload();
    // Ben writes while ann is away (her page is not connected).
    for (const t of away) await send(B.page, t);
    for (const t of away) await expectMessage(B.page, t);
    await unlock(A.page, alice.password);
    await row().waitFor({ timeout: 10_000 });
    await waitUntil(async () => (await row().textContent()).includes(before[2]), { message: 'the list preview from the cache' });
    await waitUntil(async () => (await A.page.getByTestId('chat-title').textContent()) === bob.username, { message: 'the open chat restored' });
    for (const t of before) await expectOnce(t);
    for (const t of away) assert((await countMessages(A.page, t)) === 0, `"${t}" is not known yet (nothing was fetched)`);
    assert((await unwraps(A.page)) === 0, `nothing decrypted: all of it from the cache (${await unwraps(A.page)})`);
  });

  await step('once the network is back, what ben sent meanwhile appears, each message once, and only that is decrypted', async () => {
    await A.page.unroute(BLOCKED);
    await A.page.evaluate(() => globalThis.dispatchEvent(new globalThis.Event('online'))); // reconnect now, not after the back-off
    for (const t of away) await expectOnce(t);
    for (const t of before) await expectOnce(t);
    await waitUntil(async () => (await row().textContent()).includes(away[1]), { message: 'the list preview synced' });
    assert((await unwraps(A.page)) === away.length, `only the ${away.length} new messages decrypted (${await unwraps(A.page)})`);
  });

  await step('a reload with the network fetches only the open chat\'s newest page and re-opens nothing it already had', async () => {
    await cacheWritten(A.page);
    const requests = [];
    const onRequest = (r) => {
      if (r.method() === 'GET' && HISTORY.test(r.url())) requests.push(r.url());
    };
    A.page.on('request', onRequest);
    const page = A.page.waitForResponse((r) => HISTORY.test(r.url()), { timeout: 90_000 });
    await A.page.reload();
    await unlock(A.page, alice.password);
    await page;
    for (const t of [...before, ...away]) await expectOnce(t);
    await send(B.page, after);
    await expectOnce(after);
    A.page.off('request', onRequest);
    assert(requests.length === 1, `one history request, the open chat's newest page (${requests.length}: ${requests.join(' ')})`);
    assert((await unwraps(A.page)) === 1, `only the one new message decrypted, not the ${before.length + away.length} known ones (${await unwraps(A.page)})`);
  });
}
