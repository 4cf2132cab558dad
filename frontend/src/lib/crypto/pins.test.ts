import { beforeAll, describe, expect, it } from 'vitest';
import { PinStore, toBase64, fromBase64 } from '@/lib/crypto';
import { makeUser, MemoryStore, type TestUser } from '@/testing/crypto-fixtures';

let bob: TestUser;
let bob2: TestUser;

beforeAll(async () => {
  bob = await makeUser('bob');
  bob2 = await makeUser('bob', bob.id); // same account, new keys (reinstall or substitution)
});

describe('key pinning', () => {
  it('pins on first use, then trusts the same keys', async () => {
    const pins = new PinStore(new MemoryStore(), 'alice-id');
    expect((await pins.check(bob.publicUser)).status).toMatchObject({ kind: 'trusted', firstUse: true });
    expect((await pins.check(bob.publicUser)).status).toMatchObject({ kind: 'trusted', firstUse: false });
  });

  it('reports a changed key until the user accepts it, and resets verification', async () => {
    const pins = new PinStore(new MemoryStore(), 'alice-id');
    await pins.check(bob.publicUser);
    pins.setVerified(bob.id, true);
    const { status } = await pins.check(bob2.publicUser);
    expect(status.kind).toBe('changed');
    if (status.kind !== 'changed') return;
    expect(pins.get(bob.id)?.encPublic).toBe(bob.publicUser.enc_public);
    pins.acceptKeyChange(bob.id, status.offered);
    expect((await pins.check(bob2.publicUser)).status).toMatchObject({ kind: 'trusted', pin: { verified: false } });
  });

  it('refuses a wrong key signature, a wrong fingerprint and a non-3072-bit key', async () => {
    const pins = new PinStore(new MemoryStore(), 'alice-id');
    const badSig = fromBase64(bob.publicUser.key_signature);
    badSig[10] ^= 1;
    expect((await pins.check({ ...bob.publicUser, key_signature: toBase64(badSig) })).status.kind).toBe('invalid');
    expect((await pins.check({ ...bob.publicUser, fingerprint: '00000 00000 00000 00000 00000 00000' })).status.kind).toBe('invalid');
    const small = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt'],
    );
    const spki = toBase64(new Uint8Array(await crypto.subtle.exportKey('spki', small.publicKey)));
    expect((await pins.check({ ...bob.publicUser, enc_public: spki })).status).toMatchObject({ kind: 'invalid' });
    expect(pins.get(bob.id)).toBeNull();
  });

  it('keeps pins per signed-in user', async () => {
    const store = new MemoryStore();
    await new PinStore(store, 'alice-id').check(bob.publicUser);
    expect(new PinStore(store, 'carol-id').get(bob.id)).toBeNull();
  });
});
