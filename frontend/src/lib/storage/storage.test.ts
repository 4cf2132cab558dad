import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { importAesKey, randomBytes } from '@/lib/crypto';
import { idbDelete, idbDeletePrefix, idbEntries, idbGet, idbKeys, idbSet } from './idb';
import { openJson, sealJson } from './sealed';

describe('idb', () => {
  it('stores, lists by prefix and deletes', async () => {
    await idbSet('t:a:1', { n: 1 });
    await idbSet('t:a:2', { n: 2 });
    await idbSet('t:b:1', { n: 3 });
    expect(await idbGet('t:a:1')).toEqual({ n: 1 });
    expect(await idbKeys('t:a:')).toEqual(['t:a:1', 't:a:2']);
    expect(await idbEntries('t:a:')).toEqual([['t:a:1', { n: 1 }], ['t:a:2', { n: 2 }]]);
    await idbDelete('t:a:1');
    expect(await idbGet('t:a:1')).toBeUndefined();
    await idbDeletePrefix('t:');
    expect(await idbKeys('t:')).toEqual([]);
  });

  it('keeps a non-extractable CryptoKey usable', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await idbSet('t:key', key);
    const back = await idbGet<CryptoKey>('t:key');
    expect(back?.extractable).toBe(false);
    const sealed = await sealJson(back!, 'aad', 'x');
    expect(await openJson(key, 'aad', sealed)).toBe('x');
  });
});

describe('sealed', () => {
  it('opens only under the same key and AAD, and not when altered', async () => {
    const k1 = await importAesKey(randomBytes(32));
    const k2 = await importAesKey(randomBytes(32));
    const s = await sealJson(k1, 'courier/local/test|u|1', { a: [1, 'two'] });
    expect(await openJson(k1, 'courier/local/test|u|1', s)).toEqual({ a: [1, 'two'] });
    expect(await openJson(k2, 'courier/local/test|u|1', s)).toBeNull();
    expect(await openJson(k1, 'courier/local/test|u|2', s)).toBeNull();
    const bad = s.slice();
    bad[bad.length - 1] ^= 1;
    expect(await openJson(k1, 'courier/local/test|u|1', bad)).toBeNull();
    expect(await openJson(k1, 'courier/local/test|u|1', 'not bytes')).toBeNull();
  });
});
