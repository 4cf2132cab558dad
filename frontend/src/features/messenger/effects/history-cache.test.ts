//! The history cache: what it keeps comes back after a reload (a new cache over the same
//! IndexedDB) as it was opened, bounded, sealed under the user's key; an altered record or one
//! invalidated by a key change is dropped; a tombstone stays deleted; the stream resumes from the
//! oldest seq the cache vouches for; and a copy of a message already opened is not opened again.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { importAesKey, randomBytes, type AttachmentDescriptor } from '@/lib/crypto';
import type { Conversation } from '@/lib/api/types';
import type { MessageObject } from '@/lib/events/decode';
import { idbDeletePrefix, idbEntries, idbGet, idbKeys, idbSet } from '@/lib/storage/idb';
import { initialState, type MessageContent } from '../model';
import { MessengerStore } from '../store';
import { clearUserData } from './persist';
import { clearHistoryCache, HistoryCache, MAX_CONVERSATIONS, MAX_MESSAGES, openedBefore, previewStale } from './history-cache';

const me = { id: 'me-1', username: 'me' };
const other = { id: 'ben-1', username: 'ben' };
const pins: Record<string, string> = { [me.id]: 'fp-me', [other.id]: 'fp-ben' };
const pinOf = (id: string) => pins[id] ?? null;

function conv(id: string, lastPosition: number, minute = 0): Conversation {
  return {
    id, kind: 'direct', members: [me, other], former_members: [], created_at: '2026-01-01T00:00:00Z',
    last_activity_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), last_position: lastPosition, unread_count: 2, read_up_to: 1,
  } as Conversation;
}

const wire = (convId: string, position: number, deleted = false, sender = other.id): MessageObject => ({
  conversation_id: convId, message_id: `${convId}-m${position}`, position, sender_id: sender, server_ts: 1000 + position, deleted,
});

/** A store as if `count` messages of `convId` had been fetched and opened (no crypto needed). */
function loaded(store: MessengerStore, cache: HistoryCache, convId: string, count: number, content = (p: number): MessageContent => ({ kind: 'text', text: `hello ${p}` }), sender = other.id) {
  store.dispatch({ type: 'history/loaded', conversationId: convId, hasOlder: false });
  const wires = Array.from({ length: count }, (_, i) => wire(convId, i + 1, false, sender));
  store.dispatch({ type: 'messages/arrived', conversationId: convId, wires, source: 'history' });
  store.dispatch({ type: 'messages/opened', conversationId: convId, opened: wires.map((w) => ({ messageId: w.message_id, content: content(w.position), sentAt: w.server_ts })) });
  cache.verified(wires.map((w) => ({ messageId: w.message_id, senderId: w.sender_id })));
}

const photo: AttachmentDescriptor = {
  attachmentId: 'att-1', key: randomBytes(32), sha256: randomBytes(32), name: 'a.png', mediaType: 'image/png', size: 10, ciphertextSize: 38,
  width: 2, height: 2, thumbnail: { mediaType: 'image/png', bytes: randomBytes(8) },
};

const newStore = () => new MessengerStore(initialState(me, null, {}));

async function session(key: CryptoKey, convs: Conversation[]) {
  const store = newStore();
  const cache = new HistoryCache(store, me.id, key, pinOf);
  store.dispatch({ type: 'conversations/listed', list: convs });
  return { store, cache };
}

/** A reload: a new store and cache over the same database. */
async function reload(key: CryptoKey, resumePoint: number | null = 50) {
  const store = newStore();
  const cache = new HistoryCache(store, me.id, key, pinOf);
  const from = await cache.restore(resumePoint);
  return { store, cache, from };
}

let key: CryptoKey;
beforeEach(async () => {
  key = await importAesKey(randomBytes(32));
  await idbDeletePrefix('history:');
  pins[other.id] = 'fp-ben';
});

describe('history cache', () => {
  it('shows the list with previews and unread counts and each chat as opened, after a reload', async () => {
    const { store, cache } = await session(key, [conv('c1', 3), conv('c2', 1)]);
    loaded(store, cache, 'c1', 3, (p) => (p === 2 ? { kind: 'attachments', text: 'look', attachments: [photo] } : { kind: 'text', text: `hello ${p}` }));
    store.dispatch({ type: 'messages/arrived', conversationId: 'c2', wires: [wire('c2', 1)], source: 'history' }); // a preview only
    store.dispatch({ type: 'messages/opened', conversationId: 'c2', opened: [{ messageId: 'c2-m1', content: { kind: 'text', text: 'preview' }, sentAt: 5 }] });
    cache.verified([{ messageId: 'c2-m1', senderId: other.id }]);
    cache.processed(40);
    await cache.flushNow();

    const { store: s2, from } = await reload(key);
    const st = s2.get();
    expect(st.conversations.listLoaded).toBe(true);
    expect(Object.keys(st.conversations.byId).sort()).toEqual(['c1', 'c2']);
    expect(st.conversations.byId.c1.unread_count).toBe(2);
    const t1 = st.timelines.c1;
    expect(t1.loaded && t1.restored).toBe(true);
    expect(t1.messages.map((m) => m.content)).toEqual([{ kind: 'text', text: 'hello 1' }, { kind: 'attachments', text: 'look', attachments: [photo] }, { kind: 'text', text: 'hello 3' }]);
    const back = t1.messages[1].content;
    expect(back.kind === 'attachments' && back.attachments[0].key).toBeInstanceOf(Uint8Array); // bytes stay bytes
    expect(t1.messages.every((m) => m.local === 'stored' && m.wire === undefined)).toBe(true);
    expect(t1.preview?.id).toBe('c1-m3');
    expect(st.timelines.c2.messages).toEqual([]);
    expect(st.timelines.c2.loaded).toBe(false);
    expect(st.timelines.c2.preview?.content).toEqual({ kind: 'text', text: 'preview' });
    expect(previewStale(st.timelines.c2, conv('c2', 1))).toBe(false);
    expect(previewStale(st.timelines.c2, conv('c2', 2))).toBe(true);
    expect(from).toBe(40); // older than the saved 50: the stream replays 41..50
  });

  it('is sealed: nothing readable is stored, and another key opens nothing', async () => {
    const { store, cache } = await session(key, [conv('c1', 2)]);
    loaded(store, cache, 'c1', 2, () => ({ kind: 'text', text: 'the secret plan' }));
    await cache.flushNow();
    const raw = await idbEntries<unknown>(`history:${me.id}:`);
    expect(raw.map(([k]) => k).sort()).toEqual([`history:${me.id}:c1`, `history:${me.id}:list`]);
    for (const [, v] of raw) {
      expect(v).toBeInstanceOf(Uint8Array);
      expect(new TextDecoder().decode(v as Uint8Array)).not.toMatch(/secret|ben|c1-m1/);
    }
    const stranger = await importAesKey(randomBytes(32));
    const { store: s2, from } = await reload(stranger, 7);
    expect(s2.get().conversations.byId).toEqual({});
    expect(from).toBe(7);
    expect(await idbKeys(`history:${me.id}:`)).toEqual([]); // dropped
  });

  it('a record moved to another conversation or altered does not open and is dropped', async () => {
    const { store, cache } = await session(key, [conv('c1', 2), conv('c2', 2)]);
    loaded(store, cache, 'c1', 2);
    loaded(store, cache, 'c2', 2);
    await cache.flushNow();
    const sealed = (await idbGet<Uint8Array>(`history:${me.id}:c1`))!;
    await idbSet(`history:${me.id}:c2`, sealed); // moved
    const bad = sealed.slice();
    bad[bad.length - 1] ^= 1;
    await idbSet(`history:${me.id}:c1`, bad); // altered
    const { store: s2 } = await reload(key);
    expect(s2.get().timelines.c1.messages).toEqual([]);
    expect(s2.get().timelines.c2.messages).toEqual([]);
    expect(s2.get().conversations.byId.c1).toBeDefined(); // the list itself was fine
    expect(await idbKeys(`history:${me.id}:`)).toEqual([`history:${me.id}:list`]);
  });

  it('is bounded: the newest messages of the most recent conversations', async () => {
    const convs = Array.from({ length: MAX_CONVERSATIONS + 5 }, (_, i) => conv(`k${String(i).padStart(2, '0')}`, 1, i));
    const { store, cache } = await session(key, convs);
    for (const c of convs) loaded(store, cache, c.id, 1);
    loaded(store, cache, 'k54', MAX_MESSAGES + 30);
    await cache.flushNow();
    const keys = await idbKeys(`history:${me.id}:`);
    expect(keys.length).toBe(MAX_CONVERSATIONS + 1);
    expect(keys).not.toContain(`history:${me.id}:k00`); // the least recently active went
    const { store: s2 } = await reload(key);
    const t = s2.get().timelines.k54;
    expect(t.messages.length).toBe(MAX_MESSAGES);
    expect(t.messages[0].position).toBe(31);
    expect(t.hasOlder).toBe(true);
    expect(Object.keys(s2.get().conversations.byId).length).toBe(MAX_CONVERSATIONS + 5); // the list is kept whole
  });

  it('keeps only a contiguous run: nothing older than a message that did not verify', async () => {
    const { store, cache } = await session(key, [conv('c1', 4)]);
    loaded(store, cache, 'c1', 4, (p) => (p === 2 ? { kind: 'unverified', reason: 'bad signature' } : { kind: 'text', text: `hello ${p}` }));
    await cache.flushNow();
    const { store: s2 } = await reload(key);
    expect(s2.get().timelines.c1.messages.map((m) => m.position)).toEqual([3, 4]);
    expect(s2.get().timelines.c1.hasOlder).toBe(true);
  });

  it('a tombstone stays deleted: a later copy of the message does not revive it', async () => {
    const { store, cache } = await session(key, [conv('c1', 2)]);
    loaded(store, cache, 'c1', 2);
    store.dispatch({ type: 'message/deleted', conversationId: 'c1', messageId: 'c1-m1' });
    await cache.flushNow();
    const { store: s2 } = await reload(key);
    expect(s2.get().timelines.c1.messages[0].content).toEqual({ kind: 'deleted' });
    // The newest page fetched on open carries an old copy: the tombstone wins, nothing is re-opened for it.
    const stale = { ...wire('c1', 1), header: 'h', iv: 'i', ciphertext: 'c', signature: 's', wrapped_key: 'w' };
    s2.dispatch({ type: 'history/loaded', conversationId: 'c1', hasOlder: false });
    s2.dispatch({ type: 'messages/arrived', conversationId: 'c1', wires: [stale, wire('c1', 2)], source: 'history' });
    expect(s2.get().timelines.c1.messages.map((m) => m.content.kind)).toEqual(['deleted', 'text']);
    // ...and a message deleted while away (the page says so) goes, even though the cache had it.
    s2.dispatch({ type: 'messages/arrived', conversationId: 'c1', wires: [wire('c1', 2, true)], source: 'history' });
    expect(s2.get().timelines.c1.messages[1].content).toEqual({ kind: 'deleted' });
  });

  it('a conversation with a message verified against a key since replaced is not restored', async () => {
    const { store, cache } = await session(key, [conv('c1', 2), conv('c2', 1)]);
    loaded(store, cache, 'c1', 2);
    loaded(store, cache, 'c2', 1, () => ({ kind: 'text', text: 'mine' }), me.id);
    await cache.flushNow();
    pins[other.id] = 'fp-ben-new'; // the key change was accepted
    const { store: s2 } = await reload(key);
    expect(s2.get().timelines.c1.messages).toEqual([]);
    expect(s2.get().timelines.c1.restored).toBeUndefined();
    expect(s2.get().timelines.c2.messages.length).toBe(1); // own messages: own key, unchanged
    expect(await idbKeys(`history:${me.id}:`)).not.toContain(`history:${me.id}:c1`);
  });

  it('resumes from the oldest seq a record is known complete through', async () => {
    const { store, cache } = await session(key, [conv('c1', 1), conv('c2', 1)]);
    loaded(store, cache, 'c1', 1);
    loaded(store, cache, 'c2', 1);
    cache.processed(10);
    await cache.flushNow();
    // c1 changes, c2 does not: the list (at 20) vouches for c2's record from seq 10.
    store.dispatch({ type: 'message/deleted', conversationId: 'c1', messageId: 'c1-m1' });
    cache.processed(20);
    await cache.flushNow();
    expect((await reload(key, 25)).from).toBe(20);
    // A record written by someone else (another tab) at another seq is only trusted through its own.
    const { store: s3, cache: c3 } = await reload(key, 25);
    c3.processed(22);
    s3.dispatch({ type: 'message/deleted', conversationId: 'c2', messageId: 'c2-m1' });
    const otherTab = await idbGet<Uint8Array>(`history:${me.id}:c2`);
    await c3.flushNow(); // writes c2 at 22 and the list at 22
    await idbSet(`history:${me.id}:c2`, otherTab); // the other tab's copy (seq 10) lands after
    expect((await reload(key, 25)).from).toBe(10);
    expect((await reload(key, 5)).from).toBe(5); // the saved resume point is older still
  });

  it('reuses what was opened: a repeated copy is not opened again (unless deleted, unsettled, or a telemetry batch)', async () => {
    const { store, cache } = await session(key, [conv('c1', 3)]);
    loaded(store, cache, 'c1', 3, (p) => (p === 3 ? { kind: 'unverified', reason: 'x' } : p === 2 ? { kind: 'series', stream: 's', seq: 1, points: 3 } : { kind: 'text', text: 'hi' }));
    const t = store.get().timelines.c1;
    expect(openedBefore(t, wire('c1', 1))?.content).toEqual({ kind: 'text', text: 'hi' });
    expect(openedBefore(t, wire('c1', 1, true))).toBeNull();
    expect(openedBefore(t, wire('c1', 2))).toBeNull();
    expect(openedBefore(t, wire('c1', 3))).toBeNull();
    expect(openedBefore(t, wire('c1', 4))).toBeNull();
  });

  it('a restored chat merges the newest page: known messages keep their content, new ones are added once', async () => {
    const { store, cache } = await session(key, [conv('c1', 2)]);
    loaded(store, cache, 'c1', 2);
    await cache.flushNow();
    const { store: s2 } = await reload(key);
    const page = [wire('c1', 1), wire('c1', 2), wire('c1', 3)];
    s2.dispatch({ type: 'history/loaded', conversationId: 'c1', hasOlder: false });
    s2.dispatch({ type: 'messages/arrived', conversationId: 'c1', wires: page, source: 'history' });
    const t = s2.get().timelines.c1;
    expect(t.restored).toBe(false);
    expect(t.messages.map((m) => [m.position, m.content.kind])).toEqual([[1, 'text'], [2, 'text'], [3, 'pending']]);
    expect(page.filter((w) => !openedBefore(t, w)).map((w) => w.position)).toEqual([3]);
  });

  it('the server list wins over the cache, and restored conversations it no longer lists go', async () => {
    const { store, cache } = await session(key, [conv('c1', 1), conv('gone', 1)]);
    loaded(store, cache, 'c1', 1);
    await cache.flushNow();
    const { store: s2, cache: c2 } = await reload(key);
    const fresh = { ...conv('c1', 5), unread_count: 4 };
    s2.dispatch({ type: 'conversations/listed', list: [fresh] });
    c2.reconcile([fresh]);
    expect(Object.keys(s2.get().conversations.byId)).toEqual(['c1']);
    expect(s2.get().conversations.byId.c1.unread_count).toBe(4);
  });

  it('sign-out clears every record of the user, also a write still in flight, and no other user', async () => {
    const { store, cache } = await session(key, [conv('c1', 1)]);
    loaded(store, cache, 'c1', 1);
    await idbSet('history:someone-else:list', new Uint8Array([1]));
    const writing = cache.flushNow();
    const cleared = clearHistoryCache(me.id);
    await Promise.all([writing, cleared]);
    await cache.flushNow();
    expect(await idbKeys(`history:${me.id}:`)).toEqual([]);
    expect(await idbKeys('history:someone-else:')).toEqual(['history:someone-else:list']);
  });

  it('is part of what sign-out and account deletion clear (clearUserData)', async () => {
    const memory = () => {
      const m = new Map<string, string>();
      return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), key: (i: number) => [...m.keys()][i] ?? null, get length() { return m.size; } };
    };
    vi.stubGlobal('localStorage', memory());
    vi.stubGlobal('sessionStorage', memory());
    try {
      const { store, cache } = await session(key, [conv('c1', 1)]);
      loaded(store, cache, 'c1', 1);
      await cache.flushNow();
      expect((await idbKeys(`history:${me.id}:`)).length).toBe(2);
      await clearUserData(me.id);
      await cache.flushNow(); // a write after the clear stores nothing
      await vi.waitFor(async () => expect(await idbKeys(`history:${me.id}:`)).toEqual([]));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a conversation with a message being opened is written later, not vouched for meanwhile, and never held back for good', async () => {
    const { store, cache } = await session(key, [conv('c1', 3)]);
    loaded(store, cache, 'c1', 2);
    cache.processed(10);
    await cache.flushNow();
    store.dispatch({ type: 'messages/arrived', conversationId: 'c1', wires: [wire('c1', 3)], source: 'live' }); // pending
    store.dispatch({ type: 'message/deleted', conversationId: 'c1', messageId: 'c1-m1' });
    cache.processed(20);
    await cache.flushNow();
    expect((await reload(key, 30)).from).toBe(10); // the record (seq 10) lacks the deletion: replayed from 10
    await cache.flushNow();
    await cache.flushNow();
    await cache.flushNow(); // still pending: written anyway, up to what is opened
    const { store: s2, from } = await reload(key, 30);
    expect(from).toBe(20);
    expect(s2.get().timelines.c1.messages).toEqual([]); // the pending newest cuts the run: nothing older is kept
  });
});
