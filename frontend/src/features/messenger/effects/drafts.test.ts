//! Drafts survive a reload (a new DraftEffects over the same storage), are unreadable without the
//! user key, are bound to their conversation, and are removed when emptied.
import { describe, expect, it } from 'vitest';
import { importAesKey, randomBytes } from '@/lib/crypto';
import { initialState } from '../model';
import { MessengerStore } from '../store';
import { DraftEffects, draftKeys } from './drafts';

class MemoryStorage implements Storage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

const me = { id: 'u1', username: 'me' };
const newStore = () => new MessengerStore(initialState(me, null, {}));

describe('drafts', () => {
  it('are kept per conversation across a reload, encrypted, and reported to the model', async () => {
    const storage = new MemoryStorage();
    const key = await importAesKey(randomBytes(32));
    const store = newStore();
    const drafts = new DraftEffects(store, me.id, key, storage);
    await drafts.loaded;
    expect(store.get().drafts).toEqual({});
    drafts.set('c1', 'half a thought');
    drafts.set('c1', 'half a thought, finished');
    drafts.set('c2', 'другой черновик ✓');
    await drafts.flushed();
    expect(store.get().drafts).toEqual({ c1: 'half a thought, finished', c2: 'другой черновик ✓' });
    const stored = draftKeys(storage, me.id).map((k) => storage.getItem(k) ?? '');
    expect(stored).toHaveLength(2);
    for (const blob of stored) expect(blob).not.toContain('thought');

    const reloadedStore = newStore();
    const reloaded = new DraftEffects(reloadedStore, me.id, key, storage);
    await reloaded.loaded;
    expect(reloaded.get('c1')).toBe('half a thought, finished');
    expect(reloaded.get('c2')).toBe('другой черновик ✓');
    expect(reloadedStore.get().drafts).toEqual({ c1: 'half a thought, finished', c2: 'другой черновик ✓' });

    reloaded.clear('c1');
    await reloaded.flushed();
    expect(draftKeys(storage, me.id)).toEqual([`courier:draft:${me.id}:c2`]);
    expect(reloadedStore.get().drafts).toEqual({ c2: 'другой черновик ✓' });
  });

  it('drops what another key wrote, or a draft moved to another conversation', async () => {
    const storage = new MemoryStorage();
    const key = await importAesKey(randomBytes(32));
    const first = new DraftEffects(newStore(), me.id, key, storage);
    await first.loaded;
    first.set('c1', 'secret');
    await first.flushed();
    storage.setItem(`courier:draft:${me.id}:c9`, storage.getItem(`courier:draft:${me.id}:c1`) ?? '');
    const other = new DraftEffects(newStore(), me.id, await importAesKey(randomBytes(32)), storage);
    await other.loaded;
    expect(other.get('c1')).toBe('');
    expect(draftKeys(storage, me.id)).toEqual([]);
  });

  it('still lets the composer show when the storage fails', async () => {
    const broken = new MemoryStorage();
    broken.key = () => {
      throw new Error('SecurityError');
    };
    Object.defineProperty(broken, 'length', { get: () => 1 });
    const store = newStore();
    const drafts = new DraftEffects(store, me.id, await importAesKey(randomBytes(32)), broken);
    await drafts.loaded;
    expect(store.get().drafts).toEqual({});
  });
});
