//! The outbox: stored (sealed, in creation order) before the first post, kept while the network
//! fails, sent again with the same message id, removed only once the server accepted it; a
//! membership change reseals, a real refusal marks the message failed (Retry sends it again).
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { importAesKey, randomBytes, type Envelope } from '@/lib/crypto';
import { ApiError } from '@/lib/api/errors';
import type { Conversation } from '@/lib/api/types';
import { idbDeletePrefix, idbEntries, idbKeys } from '@/lib/storage/idb';
import { deliveryOf, initialState } from '../model';
import { MessengerStore } from '../store';
import { SendBlockedError } from './contacts';
import { backoffMs, classifySendError, OutboxEffects, outboxPrefix, OutboxStore, type OutboxDeps, type OutboxRecord } from './outbox';

const me = { id: 'me', username: 'me' };
const conv: Conversation = {
  id: 'c', kind: 'direct', members: [me, { id: 'bob', username: 'bob' }], former_members: [], created_at: '2024-01-01T00:00:00Z',
  last_activity_at: '2024-01-01T00:00:00Z', last_position: 0, read_up_to: 0, unread_count: 0,
};
const envelope = (id: string, n = 0): Envelope => ({ header: `h-${id}-${n}`, iv: 'iv', ciphertext: 'ct', commitment: 'cm', signature: 'sig', keys: [] });
const rec = (messageId: string, createdAt: number, text = `text ${messageId}`): OutboxRecord => ({ conversationId: 'c', messageId, sentAt: createdAt, createdAt, content: { kind: 'text', text } });

function newStore() {
  const store = new MessengerStore(initialState(me, null, {}));
  store.dispatch({ type: 'conversations/listed', list: [conv] });
  return store;
}

/** Deps whose post answers come from `answers` (an error to throw, or ok), recording every call. */
function fakeDeps(answers: (ApiError | Error | 'ok')[] = []) {
  const posted: { id: string; header: string }[] = [];
  let seals = 0;
  const deps: OutboxDeps & { posted: typeof posted; seals: () => number; reloads: string[]; storedAtPost: string[][] } = {
    posted,
    seals: () => seals,
    reloads: [],
    storedAtPost: [],
    seal: async (r) => envelope(r.messageId, seals++),
    post: async (r, env) => {
      deps.storedAtPost.push(await idbKeys(outboxPrefix(me.id)));
      posted.push({ id: r.messageId, header: env.header });
      const a = answers.shift() ?? 'ok';
      if (a !== 'ok') throw a;
      return { position: posted.length };
    },
    reloadConversation: async (id) => {
      deps.reloads.push(id);
    },
  };
  return deps;
}

const message = (id: string, text: string) => ({ id, conversationId: 'c', senderId: me.id, position: null, sentAt: Date.now(), local: 'sending' as const, content: { kind: 'text' as const, text } });
const local = (store: MessengerStore, id: string) => store.get().timelines.c.messages.find((m) => m.id === id)?.local;
const offline = () => new ApiError(0, 'network', 'Cannot reach the server.');

let key: CryptoKey;
beforeEach(async () => {
  await idbDeletePrefix('outbox:');
  key = await importAesKey(randomBytes(32));
});

describe('OutboxStore', () => {
  it('keeps records in creation order, sealed, and removes one by message id', async () => {
    const box = new OutboxStore(me.id, key);
    await box.put(rec('b', 20));
    await box.put(rec('a', 3));
    await box.put(rec('c', 100));
    expect((await box.list()).map((r) => r.messageId)).toEqual(['a', 'b', 'c']);
    const raw = await idbEntries<Uint8Array>(outboxPrefix(me.id));
    expect(raw.map(([k]) => k)).toEqual(['outbox:me:0000000000000003:a', 'outbox:me:0000000000000020:b', 'outbox:me:0000000000000100:c']);
    for (const [, v] of raw) expect(new TextDecoder().decode(v)).not.toContain('text');
    await box.remove('b');
    expect((await box.list()).map((r) => r.messageId)).toEqual(['a', 'c']);
  });

  it('keeps the bytes of attachment descriptors (keys, digests, thumbnails) as bytes', async () => {
    const box = new OutboxStore(me.id, key);
    const d = { attachmentId: 'a', key: randomBytes(32), sha256: randomBytes(32), name: 'p.png', mediaType: 'image/png', size: 9, ciphertextSize: 40, thumbnail: { mediaType: 'image/jpeg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 1]) } };
    await box.put({ ...rec('f', 1), content: { kind: 'attachments', text: 'cap', attachments: [d] } });
    const [back] = await box.list();
    expect(back.content).toEqual({ kind: 'attachments', text: 'cap', attachments: [d] });
    const a = back.content.kind === 'attachments' ? back.content.attachments[0] : null;
    expect(a?.key).toBeInstanceOf(Uint8Array);
    expect(a?.thumbnail?.bytes).toBeInstanceOf(Uint8Array);
  });

  it('opens nothing without the user key (and nothing moved to another record)', async () => {
    await new OutboxStore(me.id, key).put(rec('a', 1));
    expect(await new OutboxStore(me.id, await importAesKey(randomBytes(32))).list()).toEqual([]);
  });
});

describe('classifySendError', () => {
  it('keeps transient failures queued, reseals on a membership change, and fails only on a refusal', () => {
    expect(classifySendError(offline())).toEqual({ kind: 'retry', afterMs: null });
    expect(classifySendError(new ApiError(503, 'unavailable', 'x'))).toEqual({ kind: 'retry', afterMs: null });
    expect(classifySendError(new ApiError(500, 'internal', 'x'))).toEqual({ kind: 'retry', afterMs: null });
    expect(classifySendError(new ApiError(429, 'too_many_requests', 'x', 7))).toEqual({ kind: 'retry', afterMs: 7000 });
    expect(classifySendError(new ApiError(409, 'recipients_mismatch', 'x'))).toEqual({ kind: 'reseal' });
    expect(classifySendError(new ApiError(403, 'forbidden', 'Not yours.'))).toEqual({ kind: 'refused', reason: 'Not yours.' });
    expect(classifySendError(new ApiError(409, 'message_id_taken', 'Taken.'))).toMatchObject({ kind: 'refused' });
    expect(classifySendError(new ApiError(400, 'invalid_header', 'Bad.'))).toMatchObject({ kind: 'refused' });
    // A key that could not be fetched (offline) waits; a changed key is a refusal.
    const blocked = new SendBlockedError(['bob'], 'Not sent: the security key of bob could not be confirmed.');
    expect(classifySendError(blocked, { contacts: {} })).toMatchObject({ kind: 'retry' });
    const changed = { bob: { userId: 'bob', username: 'bob', status: { kind: 'changed' } } } as never;
    expect(classifySendError(blocked, { contacts: changed })).toMatchObject({ kind: 'refused' });
  });

  it('backs off by doubling up to a minute', () => {
    expect(backoffMs(0, () => 0.5)).toBe(1000);
    expect(backoffMs(3, () => 0.5)).toBe(8000);
    expect(backoffMs(30, () => 0.5)).toBe(60_000);
  });
});

describe('OutboxEffects', () => {
  it('stores a message before the first post, keeps it queued while offline, and sends it once the connection is back', async () => {
    const store = newStore();
    const deps = fakeDeps([offline()]);
    const outbox = new OutboxEffects(store, me.id, key, deps);
    outbox.start();
    await outbox.loaded;
    await outbox.add(message('m1', 'hello'));
    await vi.waitFor(() => expect(local(store, 'm1')).toBe('queued'));
    expect(deps.storedAtPost[0]).toHaveLength(1); // written before the first post
    expect(deliveryOf(store.get().timelines.c.messages[0], conv, me.id, {})).toBe('queued');
    expect(store.get().notice).toBeNull(); // the clock says it, not an alert
    const [kept] = await new OutboxStore(me.id, key).list();
    expect(kept.envelope?.header).toBe('h-m1-0'); // the sealed envelope is kept with it
    store.dispatch({ type: 'connection', status: 'live' });
    await vi.waitFor(() => expect(local(store, 'm1')).toBe('stored'));
    // The same envelope (same message id) is posted again; the record leaves once accepted.
    expect(deps.posted.map((p) => p.header)).toEqual(['h-m1-0', 'h-m1-0']);
    expect(deps.seals()).toBe(1);
    await vi.waitFor(async () => expect(await idbKeys(outboxPrefix(me.id))).toEqual([]));
    outbox.stop();
  });

  it('after a reload shows the stored messages queued, in order, and sends them in creation order', async () => {
    const box = new OutboxStore(me.id, key);
    await box.put(rec('x2', 2000));
    await box.put(rec('x1', 1000));
    await box.put(rec('x3', 3000));
    const store = newStore();
    const deps = fakeDeps([offline()]);
    const outbox = new OutboxEffects(store, me.id, key, deps);
    outbox.start();
    await outbox.loaded;
    expect(store.get().timelines.c.messages.map((m) => [m.id, m.content.kind === 'text' && m.content.text])).toEqual([['x1', 'text x1'], ['x2', 'text x2'], ['x3', 'text x3']]);
    await vi.waitFor(() => expect(local(store, 'x1')).toBe('queued'));
    outbox.online();
    await vi.waitFor(() => expect(['x1', 'x2', 'x3'].map((id) => local(store, id))).toEqual(['stored', 'stored', 'stored']));
    expect(deps.posted.map((p) => p.id)).toEqual(['x1', 'x1', 'x2', 'x3']);
    expect(await box.list()).toEqual([]);
    outbox.stop();
  });

  it('shows loaded messages once their conversation is listed', async () => {
    await new OutboxStore(me.id, key).put(rec('late', 5));
    const store = new MessengerStore(initialState(me, null, {}));
    const outbox = new OutboxEffects(store, me.id, key, fakeDeps([offline()]));
    outbox.start();
    await outbox.loaded;
    store.dispatch({ type: 'conversations/listed', list: [conv] });
    expect(store.get().timelines.c.messages.map((m) => m.id)).toEqual(['late']);
    outbox.stop();
  });

  it('reseals with the same message id when membership changed', async () => {
    const store = newStore();
    const deps = fakeDeps([new ApiError(409, 'recipients_mismatch', 'x')]);
    const outbox = new OutboxEffects(store, me.id, key, deps);
    outbox.start();
    await outbox.add(message('m2', 'hi'));
    await vi.waitFor(() => expect(local(store, 'm2')).toBe('stored'));
    expect(deps.posted).toEqual([{ id: 'm2', header: 'h-m2-0' }, { id: 'm2', header: 'h-m2-1' }]);
    expect(deps.reloads).toEqual(['c']);
    outbox.stop();
  });

  it('marks a refused message failed (kept across a reload), and Retry sends it with the same id', async () => {
    const store = newStore();
    const deps = fakeDeps([new ApiError(403, 'forbidden', 'You may not post here.')]);
    const outbox = new OutboxEffects(store, me.id, key, deps);
    outbox.start();
    await outbox.add(message('m3', 'no'));
    await vi.waitFor(() => expect(local(store, 'm3')).toBe('failed'));
    expect(store.get().timelines.c.messages[0].failure).toBe('You may not post here.');
    expect(store.get().notice?.text).toBe('Message not sent. You may not post here.');
    expect((await new OutboxStore(me.id, key).list())[0].failed).toBe('You may not post here.');
    // A reload shows it failed, not queued, and does not post it by itself.
    const store2 = newStore();
    const deps2 = fakeDeps();
    const again = new OutboxEffects(store2, me.id, key, deps2);
    again.start();
    await again.loaded;
    expect(local(store2, 'm3')).toBe('failed');
    again.stop();
    expect(deps2.posted).toEqual([]);
    // The connection coming back clears the alert; Retry posts the same message id.
    store.dispatch({ type: 'connection', status: 'live' });
    expect(store.get().notice).toBeNull();
    await outbox.retry('c', 'm3');
    await vi.waitFor(() => expect(local(store, 'm3')).toBe('stored'));
    expect(deps.posted.map((p) => p.id)).toEqual(['m3', 'm3']);
    expect(await new OutboxStore(me.id, key).list()).toEqual([]);
    outbox.stop();
  });

  it('deleting an unsent message takes it out of the outbox and the timeline', async () => {
    const store = newStore();
    const outbox = new OutboxEffects(store, me.id, key, fakeDeps([new ApiError(400, 'invalid_header', 'Bad.')]));
    outbox.start();
    await outbox.add(message('m4', 'bye'));
    await vi.waitFor(() => expect(local(store, 'm4')).toBe('failed'));
    await outbox.discard('c', 'm4');
    expect(store.get().timelines.c.messages).toEqual([]);
    expect(await idbKeys(outboxPrefix(me.id))).toEqual([]);
    outbox.stop();
  });
});
