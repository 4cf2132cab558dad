import { beforeAll, describe, expect, it } from 'vitest';
import {
  aesUnwrap, aesWrap, canonicalJson, derivePasswordKeys, deriveRecoveryKeys, formatRecoveryKey, fromBase64,
  generateAccountKeys, newRecoveryKey, newSalt, openMessage, parseCanonical, parseRecoveryKey, safetyNumber,
  sealMessage, toBase64, unlockAccountKeys, unwrapUserKey, checkKdfParams, WeakKdfError, aad, importAesKey,
  concat, importEncPublic, importSigPublic, type Envelope, type ReceivedMessage,
} from '@/lib/crypto';
import { makeUser, type TestUser } from '@/testing/crypto-fixtures';

let alice: TestUser;
let bob: TestUser;
let mallory: TestUser;
const conversationId = crypto.randomUUID();

beforeAll(async () => {
  [alice, bob, mallory] = await Promise.all([makeUser('alice'), makeUser('bob'), makeUser('mallory')]);
});

function deliver(env: Envelope, to: string, over: Partial<ReceivedMessage> = {}): ReceivedMessage {
  const header = JSON.parse(env.header) as { message_id: string; sender_id: string; conversation_id: string };
  return {
    conversation_id: header.conversation_id,
    message_id: header.message_id,
    sender_id: header.sender_id,
    header: env.header,
    commitment: env.commitment,
    iv: env.iv,
    ciphertext: env.ciphertext,
    signature: env.signature,
    wrapped_key: env.keys.find((k) => k.user_id === to)!.wrapped_key,
    ...over,
  };
}

async function sealFromAlice(text: string, conv = conversationId): Promise<Envelope> {
  return sealMessage({
    conversationId: conv,
    messageId: crypto.randomUUID(),
    senderId: alice.id,
    recipients: [alice, bob].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
    plaintext: text,
    sentAt: 1_700_000_000_123,
    signingKey: alice.keys.sigPrivate,
  });
}

const bobCtx = () => ({ ownUserId: bob.id, ownEncPrivate: bob.keys.encPrivate, senderSigPublic: alice.keys.sigPublic });

function flipBit(b64: string, index = 0): string {
  const bytes = fromBase64(b64);
  bytes[index] ^= 0x01;
  return toBase64(bytes);
}

describe('key derivation', () => {
  it('refuses fewer than 600000 iterations whatever the server says', async () => {
    expect(() => checkKdfParams({ name: 'pbkdf2-sha256', iterations: 599_999 })).toThrow(WeakKdfError);
    expect(() => checkKdfParams({ name: 'argon2', iterations: 600_000 })).toThrow();
    await expect(derivePasswordKeys('pw', newSalt(), { name: 'pbkdf2-sha256', iterations: 1000 })).rejects.toThrow(WeakKdfError);
  });

  it('is deterministic and normalises the password with NFKC', async () => {
    const salt = newSalt();
    const kdf = { name: 'pbkdf2-sha256', iterations: 600_000 };
    const a = await derivePasswordKeys('ｐａｓｓ\u0065\u0301', salt, kdf);
    const b = await derivePasswordKeys('pass\u00e9', salt, kdf);
    expect(toBase64(a.authKey)).toBe(toBase64(b.authKey));
    expect(toBase64(a.authKey)).not.toBe(toBase64(a.stretchKey));
  });
});

describe('wraps and account keys', () => {
  it('round-trips a wrap and refuses another AAD or a flipped bit', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const data = crypto.getRandomValues(new Uint8Array(32));
    const wrapped = await aesWrap(key, data, aad.userKey('alice'));
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(await aesUnwrap(key, wrapped, aad.userKey('alice'))).toEqual(data);
    await expect(aesUnwrap(key, wrapped, aad.userKey('bob'))).rejects.toThrow();
    wrapped[20] ^= 1;
    await expect(aesUnwrap(key, wrapped, aad.userKey('alice'))).rejects.toThrow();
  });

  it('generates, wraps and unlocks account keys as non-extractable', async () => {
    const gen = await generateAccountKeys('carol');
    const stretch = crypto.getRandomValues(new Uint8Array(32));
    const wrappedUserKey = toBase64(await aesWrap(stretch, gen.userKeyRaw, aad.userKey('carol')));
    const userKey = await unwrapUserKey(stretch, wrappedUserKey, 'carol');
    const keys = await unlockAccountKeys(userKey, { ...gen.wire, wrapped_user_key: wrappedUserKey }, 'carol');
    expect(keys.encPrivate.extractable).toBe(false);
    expect(keys.sigPrivate.extractable).toBe(false);
    expect(keys.userKey.extractable).toBe(false);
    await expect(unwrapUserKey(crypto.getRandomValues(new Uint8Array(32)), wrappedUserKey, 'carol')).rejects.toThrow('Wrong password');
    // Keys wrapped for carol cannot be unlocked as someone else.
    await expect(unlockAccountKeys(userKey, { ...gen.wire, wrapped_user_key: wrappedUserKey }, 'dave')).rejects.toThrow();
  });

  it('refuses server public keys that do not belong to the private keys', async () => {
    const gen = await generateAccountKeys('erin');
    const wire = { ...gen.wire, wrapped_user_key: '', enc_public: mallory.publicUser.enc_public };
    await expect(unlockAccountKeys(gen.userKeyRaw, wire, 'erin')).rejects.toThrow(/do not match/);
  });

  it('imports only the one key policy: RSA-3072 e=65537 and P-256, in canonical SPKI DER', async () => {
    const rsa = async (modulusLength: number, e: number[]) => {
      const pair = await crypto.subtle.generateKey(
        { name: 'RSA-OAEP', hash: 'SHA-256', modulusLength, publicExponent: new Uint8Array(e) }, true, ['encrypt', 'decrypt'],
      );
      return new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    };
    await expect(importEncPublic(await rsa(4096, [1, 0, 1]))).rejects.toThrow(/RSA-3072/);
    await expect(importEncPublic(await rsa(3072, [3]))).rejects.toThrow(/65537/);
    const good = fromBase64(alice.publicUser.enc_public);
    await importEncPublic(good);
    await expect(importEncPublic(concat(good, new Uint8Array([0])))).rejects.toThrow();
    const p384 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    await expect(importSigPublic(new Uint8Array(await crypto.subtle.exportKey('spki', p384.publicKey)))).rejects.toThrow();
    await importSigPublic(fromBase64(alice.publicUser.sig_public));
  });

  it('shows the recovery code the Rust client shows (a known answer)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const shown = formatRecoveryKey(key);
    expect(shown).toBe('000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG'); // as courier-protocol's kdf.rs test
    expect(parseRecoveryKey(shown)).toEqual(key);
    expect(() => parseRecoveryKey(`${shown.slice(0, -1)}H`)).toThrow(); // nonzero padding bits
  });

  it('round-trips the recovery key display form', async () => {
    const key = newRecoveryKey();
    const shown = formatRecoveryKey(key);
    expect(shown).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(parseRecoveryKey(` ${shown}\n`)).toEqual(key);
    expect(parseRecoveryKey(shown.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l'))).toEqual(key);
    expect(parseRecoveryKey(toBase64(key))).toEqual(key); // the earlier form
    expect(() => parseRecoveryKey(shown.slice(0, -1))).toThrow();
    expect(() => parseRecoveryKey(shown.replace(/-/g, 'U'))).toThrow();
    const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
    expect(parseRecoveryKey(hex.toUpperCase())).toEqual(key);
    expect(() => parseRecoveryKey('abcd')).toThrow();
    const rk = await deriveRecoveryKeys(key);
    const wrapped = toBase64(await aesWrap(await importAesKey(rk.wrapKey), key, aad.userKeyRecovery('a')));
    expect(await unwrapUserKey(rk.wrapKey, wrapped, 'a', true)).toEqual(key);
    await expect(unwrapUserKey(rk.wrapKey, wrapped, 'a', false)).rejects.toThrow();
  });
});

describe('canonical JSON', () => {
  it('sorts keys, drops spaces and detects non-canonical input', () => {
    expect(canonicalJson({ b: 1, a: ['x', 'y'], c: { z: 'é"', y: true } })).toBe('{"a":["x","y"],"b":1,"c":{"y":true,"z":"é\\""}}');
    expect(parseCanonical('{"a":1,"b":2}')).not.toBeNull();
    expect(parseCanonical('{"b":2,"a":1}')).toBeNull();
    expect(parseCanonical('{"a": 1}')).toBeNull();
  });
});

describe('message envelope', () => {
  it('round-trips for the recipient and the sender', async () => {
    const env = await sealFromAlice('hello bob 👋');
    expect(env.keys.map((k) => k.user_id)).toEqual([alice.id, bob.id].sort());
    const header = JSON.parse(env.header);
    expect(Object.keys(header)).toEqual(['content_type', 'conversation_id', 'message_id', 'recipients', 'sender_id', 'sent_at', 'v']);
    const atBob = await openMessage(deliver(env, bob.id), bobCtx());
    expect(atBob).toMatchObject({ ok: true, text: 'hello bob 👋' });
    const atAlice = await openMessage(deliver(env, alice.id), { ownUserId: alice.id, ownEncPrivate: alice.keys.encPrivate, senderSigPublic: alice.keys.sigPublic });
    expect(atAlice.ok).toBe(true);
  });

  it('writes v2 with a 32-byte key commitment, and refuses to seal an empty text', async () => {
    const env = await sealFromAlice('committed');
    expect(JSON.parse(env.header).v).toBe(2);
    expect(fromBase64(env.commitment)).toHaveLength(32);
    expect(await openMessage(deliver(env, bob.id), bobCtx())).toMatchObject({ ok: true, legacy: false });
    await expect(sealFromAlice('')).rejects.toThrow(/empty/);
    await expect(sealFromAlice(' \n\t ')).rejects.toThrow(/empty/);
  });

  it('refuses a v2 message whose commitment is flipped, missing or given to a downgraded header', async () => {
    const env = await sealFromAlice('commitment');
    expect(await openMessage(deliver(env, bob.id, { commitment: flipBit(env.commitment, 7) }), bobCtx())).toMatchObject({ ok: false, reason: 'bad signature' });
    expect(await openMessage(deliver(env, bob.id, { commitment: undefined }), bobCtx())).toMatchObject({ ok: false, reason: 'bad key commitment shape' });
    const v1 = env.header.replace('"v":2', '"v":1');
    // §5.5: a v1 reader ignores a commitment; the downgraded header still breaks the signature.
    expect(await openMessage(deliver(env, bob.id, { header: v1 }), bobCtx())).toMatchObject({ ok: false, reason: 'bad signature' });
    expect(await openMessage(deliver(env, bob.id, { header: v1, commitment: undefined }), bobCtx())).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses the multi-recipient attack: one signed message with another content key for one recipient', async () => {
    // Alice (malicious) seals for bob and mallory, then wraps a different key for bob only.
    const env = await sealMessage({
      conversationId, messageId: crypto.randomUUID(), senderId: alice.id,
      recipients: [alice, bob, mallory].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
      plaintext: 'meet at noon', sentAt: 1, signingKey: alice.keys.sigPrivate,
    });
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(env.header)));
    const otherKey = crypto.getRandomValues(new Uint8Array(32));
    const forBob = toBase64(new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: h }, bob.keys.encPublic, otherKey)));
    const atBob = await openMessage(deliver(env, bob.id, { wrapped_key: forBob }), bobCtx());
    expect(atBob).toMatchObject({ ok: false, reason: 'content key does not match the key commitment' });
    const atMallory = await openMessage(deliver(env, mallory.id), { ownUserId: mallory.id, ownEncPrivate: mallory.keys.encPrivate, senderSigPublic: alice.keys.sigPublic });
    expect(atMallory).toMatchObject({ ok: true, text: 'meet at noon' });
  });

  it('refuses a flipped bit anywhere', async () => {
    const env = await sealFromAlice('integrity');
    for (const field of ['commitment', 'iv', 'ciphertext', 'signature', 'wrapped_key'] as const) {
      const msg = deliver(env, bob.id);
      msg[field] = flipBit(msg[field]!, field === 'ciphertext' ? 3 : 5);
      expect(await openMessage(msg, bobCtx()), field).toMatchObject({ ok: false });
    }
    const tamperedHeader = env.header.replace('"sent_at":1700000000123', '"sent_at":1700000000124');
    expect(await openMessage(deliver(env, bob.id, { header: tamperedHeader }), bobCtx())).toMatchObject({ ok: false });
  });

  it('refuses an envelope replayed into another conversation', async () => {
    const env = await sealFromAlice('only for conversation one');
    const replay = deliver(env, bob.id, { conversation_id: crypto.randomUUID() });
    expect(await openMessage(replay, bobCtx())).toMatchObject({ ok: false, reason: 'header names another conversation' });
    // Rewriting the header to match breaks the signature.
    const other = crypto.randomUUID();
    const rewritten = env.header.replace(conversationId, other);
    expect(await openMessage(deliver(env, bob.id, { conversation_id: other, header: rewritten }), bobCtx())).toMatchObject({ ok: false });
  });

  it('refuses a wrong sender', async () => {
    const env = await sealFromAlice('from alice');
    expect(await openMessage(deliver(env, bob.id, { sender_id: mallory.id }), bobCtx())).toMatchObject({ ok: false });
    // Mallory signs with her own key but claims to be alice: verification uses alice's pinned key.
    const forged = await sealMessage({
      conversationId, messageId: crypto.randomUUID(), senderId: alice.id,
      recipients: [alice, bob].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
      plaintext: 'forged', sentAt: 1, signingKey: mallory.keys.sigPrivate,
    });
    expect(await openMessage(deliver(forged, bob.id), bobCtx())).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses a substituted key (wrapped key from another message, or for another reader)', async () => {
    const one = await sealFromAlice('one');
    const two = await sealFromAlice('two');
    const swapped = deliver(one, bob.id, { wrapped_key: deliver(two, bob.id).wrapped_key });
    expect(await openMessage(swapped, bobCtx())).toMatchObject({ ok: false });
    const forAlice = deliver(one, bob.id, { wrapped_key: deliver(one, alice.id).wrapped_key });
    expect(await openMessage(forAlice, bobCtx())).toMatchObject({ ok: false });
    // No pinned key for the sender: nothing is shown.
    expect(await openMessage(deliver(one, bob.id), { ...bobCtx(), senderSigPublic: null })).toMatchObject({ ok: false });
  });

  it('refuses a message not addressed to the reader', async () => {
    const env = await sealFromAlice('not for mallory');
    const msg = deliver(env, bob.id);
    expect(await openMessage(msg, { ownUserId: mallory.id, ownEncPrivate: mallory.keys.encPrivate, senderSigPublic: alice.keys.sigPublic })).toMatchObject({ ok: false });
  });

  it('computes a symmetric safety number', () => {
    const a = { userId: alice.id, fingerprint: alice.publicUser.fingerprint };
    const b = { userId: bob.id, fingerprint: bob.publicUser.fingerprint };
    expect(safetyNumber(a, b)).toBe(safetyNumber(b, a));
    expect(safetyNumber(a, b).split(' ')).toHaveLength(12);
  });
});
