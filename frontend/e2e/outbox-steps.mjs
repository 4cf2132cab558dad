// Never lose a message (issue 14): the outbox, in real Chromium against the real server. Ann
// writes three messages offline (each shows a clock, no error alert), reloads while the messages
// POST is still blocked (they come back from the sealed IndexedDB outbox, queued, in order), then
// the network returns: the first post's answer is lost on the way back (the server stored it),
// so it is posted again with the same message_id, and each message reaches Ben exactly once (his
// page and the database agree). A message the server refuses (403) shows "Not sent" with Retry
// (which sends it) and Delete (which removes it), and the "Message not sent" alert goes away.
import { assert, step, waitUntil } from './harness.mjs';
import { countMessages, deliveryOf, expectMessage, message, openConversation, send, shot, unlock } from './app.mjs';
import { psql } from './db.mjs';

const POSTS = '**/api/conversations/*/messages';
const sent = (d) => d === 'sent' || d === 'delivered' || d === 'read';

/** Messages stored on the server from this user (the database's own count). */
function storedFrom(db, username) {
  return Number(psql(db, `SELECT count(*) FROM messages m JOIN users u ON u.id = m.sender_id WHERE u.username = '${username.replace(/'/g, "''")}'`).trim());
}

/** The outbox records in the page's IndexedDB: keys, and each value as text (to look for plaintext). */
function outboxInPage(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = globalThis.indexedDB.open('courier');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('kv', 'readonly');
          const store = tx.objectStore('kv');
          const keys = store.getAllKeys();
          const values = store.getAll();
          tx.oncomplete = () => {
            const out = [];
            keys.result.forEach((k, i) => {
              if (String(k).startsWith('outbox:')) out.push({ key: String(k), text: values.result[i] instanceof Uint8Array ? new globalThis.TextDecoder('latin1').decode(values.result[i]) : JSON.stringify(values.result[i]) });
            });
            open.result.close();
            resolve(out);
          };
        };
      }),
  );
}

const notSentAlert = (page) => page.getByRole('alert').filter({ hasText: 'Message not sent' });

export async function outboxSteps({ base, db, alice, bob, A, B, text }) {
  const texts = [text('Outbox one'), text('Outbox two'), text('Outbox three')];
  let before = 0;

  await step('offline, three messages each show a clock ("Waiting to send"), raise no alert, and reach no server', async () => {
    await openConversation(A.page, bob.username);
    await openConversation(B.page, alice.username);
    before = storedFrom(db, alice.username);
    await A.context.setOffline(true);
    await waitUntil(async () => (await A.page.getByTestId('connection-status').textContent()) === 'Offline', { message: 'ann sees she is offline' });
    for (const t of texts) {
      await send(A.page, t);
      await waitUntil(async () => (await deliveryOf(A.page, t)) === 'queued', { message: `"${t}" queued` });
    }
    const ticks = message(A.page, texts[0]).getByTestId('ticks');
    assert((await ticks.getAttribute('title')) === 'Waiting to send', 'the clock is labelled "Waiting to send"');
    assert((await message(A.page, texts[0]).getByTestId('not-sent').count()) === 0, 'not shown as failed');
    assert((await notSentAlert(A.page).count()) === 0, 'no "Message not sent" alert for a network failure');
    assert(storedFrom(db, alice.username) === before, 'nothing reached the server');
    await shot(A.page, 'outbox-01-queued-offline.png');
  });

  let blocked = 0;
  await step('after a reload (posts still blocked) and unlocking, the three are back from the sealed outbox, queued and in order', async () => {
    await A.page.route(POSTS, (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      blocked += 1;
      return route.abort('internetdisconnected');
    });
    await A.context.setOffline(false);
    await A.page.reload();
    await unlock(A.page, alice.password);
    await openConversation(A.page, bob.username);
    for (const t of texts) await waitUntil(async () => (await countMessages(A.page, t)) === 1 && (await deliveryOf(A.page, t)) === 'queued', { message: `"${t}" back, queued` });
    const order = await A.page.getByTestId('message').filter({ hasText: /Outbox (one|two|three)/ }).allTextContents();
    assert(order.length === 3 && texts.every((t, i) => order[i].includes(t)), `in the order written (${order.map((o) => o.slice(0, 20)).join(' | ')})`);
    await waitUntil(() => blocked > 0, { message: 'the outbox tried to send (and was blocked)' });
    const stored = await outboxInPage(A.page);
    assert(stored.length === 3, `three outbox records (${stored.length})`);
    assert(stored.every((r) => texts.every((t) => !r.text.includes(t))), 'the records are sealed (no plaintext in IndexedDB)');
    assert((await notSentAlert(A.page).count()) === 0, 'still no alert');
    assert(storedFrom(db, alice.username) === before, 'still nothing on the server');
  });

  await step('the network returns (the first answer is lost): each message reaches ben exactly once, and shows as sent', async () => {
    await A.page.unroute(POSTS);
    let lost = 0;
    await A.page.route(POSTS, async (route) => {
      if (route.request().method() !== 'POST' || lost > 0) return route.fallback();
      lost += 1;
      await route.fetch(); // the server stores it...
      return route.abort('connectionreset'); // ...and the answer never arrives
    });
    for (const t of texts) await waitUntil(async () => sent(await deliveryOf(A.page, t)), { timeout: 90_000, message: `"${t}" sent` });
    for (const t of texts) await expectMessage(B.page, t, 30_000);
    assert(lost === 1, 'one answer was lost (so that message was posted twice)');
    for (const t of texts) {
      assert((await countMessages(B.page, t)) === 1, `ben has "${t}" once`);
      assert((await countMessages(A.page, t)) === 1, `ann has "${t}" once`);
    }
    assert(storedFrom(db, alice.username) === before + 3, `exactly three stored (${storedFrom(db, alice.username) - before})`);
    await waitUntil(async () => (await outboxInPage(A.page)).length === 0, { message: 'the outbox is empty once the server accepted them' });
    const order = await B.page.getByTestId('message').filter({ hasText: /Outbox (one|two|three)/ }).allTextContents();
    assert(texts.every((t, i) => order[i]?.includes(t)), 'ben sees them in the order written');
    assert((await notSentAlert(A.page).count()) === 0, 'no alert');
    await A.page.unroute(POSTS);
  });

  await step('a message the server refuses shows "Not sent" with Retry (which sends it) and Delete; the alert does not stick', async () => {
    await A.page.route(POSTS, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ code: 'forbidden', message: 'Refused by the test.' }) })
        : route.fallback(),
    );
    const base = storedFrom(db, alice.username);
    const refused = text('Refused then retried');
    const dropped = text('Refused then deleted');
    await send(A.page, refused);
    const failed = message(A.page, refused).getByTestId('not-sent');
    await failed.waitFor({ timeout: 20_000 });
    assert(/Refused by the test/.test(await failed.textContent()), 'the reason is shown on the message');
    await notSentAlert(A.page).waitFor({ timeout: 10_000 });
    await send(A.page, dropped);
    await message(A.page, dropped).getByTestId('not-sent').waitFor({ timeout: 20_000 });
    await shot(A.page, 'outbox-02-not-sent.png');
    await A.page.unroute(POSTS);

    await message(A.page, refused).getByRole('button', { name: 'Retry' }).click();
    await waitUntil(async () => sent(await deliveryOf(A.page, refused)), { message: 'sent after Retry' });
    await expectMessage(B.page, refused);
    await notSentAlert(A.page).waitFor({ state: 'detached', timeout: 10_000 });

    await message(A.page, dropped).getByRole('button', { name: 'Delete' }).click();
    const confirm = A.page.getByRole('dialog', { name: 'Delete this message?' });
    assert(/not sent/.test(await confirm.textContent()), 'the confirmation says it was not sent (not "for everyone")');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await waitUntil(async () => (await countMessages(A.page, dropped)) === 0, { message: 'the deleted message is gone' });
    assert((await countMessages(B.page, refused)) === 1, 'ben has the retried message once');
    assert((await countMessages(B.page, dropped)) === 0, 'ben never got the deleted one');
    assert(storedFrom(db, alice.username) === base + 1, 'only the retried message is stored');
    await waitUntil(async () => (await outboxInPage(A.page)).length === 0, { message: 'nothing left in the outbox' });
  });

  await step('two tabs of ann back online together: each queued message is sent once and shown once in each tab', async () => {
    const tab2 = await A.context.newPage();
    try {
      await tab2.goto(base);
      await unlock(tab2, alice.password);
      await openConversation(tab2, bob.username);
      const base0 = storedFrom(db, alice.username);
      const two = [text('Two tabs first'), text('Two tabs second')];
      await A.context.setOffline(true);
      for (const p of [A.page, tab2]) await waitUntil(async () => (await p.getByTestId('connection-status').textContent()) === 'Offline', { message: 'both tabs offline' });
      for (const t of two) {
        await send(A.page, t);
        await waitUntil(async () => (await deliveryOf(A.page, t)) === 'queued', { message: `"${t}" queued` });
      }
      await A.context.setOffline(false); // both tabs reconnect and run their outbox (one at a time)
      for (const t of two) {
        await waitUntil(async () => sent(await deliveryOf(A.page, t)), { timeout: 60_000, message: `"${t}" sent` });
        await expectMessage(B.page, t, 30_000);
        await expectMessage(tab2, t, 30_000);
      }
      for (const t of two) {
        for (const [who, p] of [['ben', B.page], ['ann (tab 1)', A.page], ['ann (tab 2)', tab2]]) assert((await countMessages(p, t)) === 1, `${who} shows "${t}" once`);
      }
      assert(storedFrom(db, alice.username) === base0 + 2, `exactly two stored (${storedFrom(db, alice.username) - base0})`);
      await waitUntil(async () => (await outboxInPage(tab2)).length === 0, { message: 'the shared outbox is empty' });
    } finally {
      await tab2.close();
    }
  });
}
