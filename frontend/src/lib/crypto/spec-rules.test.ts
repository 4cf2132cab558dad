//! The reader and writer rules of docs/protocol.md, checked one by one: the header (§5.1, §6),
//! usernames (§2.1), recovery-key entry (§2.3), strict base64 (§1) and own keys at unlock (§3).
import { beforeAll, describe, expect, it } from 'vitest';
import { aad, aesWrap, fromBase64, importAesKey, parseHeader, parseRecoveryKey, readableContentType, sealMessage, signKeySignature, toBase64, unlockAccountKeys, writableContentType, type HeaderFields, generateAccountKeys } from '@/lib/crypto';
import { fromUtf8 } from '@/lib/crypto/encoding';
import { canonicalJson } from '@/lib/crypto/canonical';
import { isValidUsername, normalizeUsername } from '@/lib/protocol/username';
import { makeUser, type TestUser } from '@/testing/crypto-fixtures';

const id = (n: number) => `0000000a-0000-4000-8000-${String(n).padStart(12, '0')}`;
const base = (): HeaderFields => ({
  content_type: 'text/plain', conversation_id: id(100), message_id: id(200), recipients: [id(1), id(2)], sender_id: id(1), sent_at: 5, v: 2,
});
/** The canonical string of a header with some fields replaced (any values, even invalid ones). */
const header = (patch: Record<string, unknown>) => canonicalJson({ ...base(), ...patch } as never);

describe('header reader rules (§5.1, §6)', () => {
  it('accepts a valid header, v2 and legacy v1', () => {
    expect(parseHeader(header({}))).toEqual(base());
    expect(parseHeader(header({ v: 1 }))?.v).toBe(1);
  });

  it('accepts content types of 1–127 printable ASCII other than " and \\', () => {
    for (const ct of ['a', 'application/vnd.courier.reading+json', 'X-Custom;charset=UTF-8', '~!#$%&\'()*,:<=>?@[]^`{|}', 'x'.repeat(127)]) {
      expect(readableContentType(ct), ct).toBe(true);
      expect(parseHeader(header({ content_type: ct })), ct).not.toBeNull();
    }
  });

  it('refuses content types that are empty, too long, or hold " \\ space, controls or non-ASCII', () => {
    for (const ct of ['', 'x'.repeat(128), 'a"b', 'a\\b', 'a b', 'a\tb', 'é', 'a\u007fb']) {
      expect(readableContentType(ct), JSON.stringify(ct)).toBe(false);
      expect(parseHeader(header({ content_type: ct })), JSON.stringify(ct)).toBeNull();
    }
  });

  it('takes sent_at as an integer 0 … 2^53 − 1 only', () => {
    expect(parseHeader(header({ sent_at: 0 }))).not.toBeNull();
    expect(parseHeader(header({ sent_at: 2 ** 53 - 1 }))).not.toBeNull();
    expect(parseHeader(header({ sent_at: -1 }))).toBeNull();
    expect(parseHeader(header({}).replace('"sent_at":5', '"sent_at":9007199254740992'))).toBeNull();
    expect(parseHeader(header({}).replace('"sent_at":5', '"sent_at":5.5'))).toBeNull();
    expect(parseHeader(header({}).replace('"sent_at":5', '"sent_at":"5"'))).toBeNull();
  });

  it('takes recipients 1–256, sorted, unique, lowercase UUIDs, the sender among them', () => {
    const many = Array.from({ length: 256 }, (_, i) => id(i + 1));
    expect(parseHeader(header({ recipients: many }))).not.toBeNull();
    expect(parseHeader(header({ recipients: [...many, id(999)] }))).toBeNull();
    expect(parseHeader(header({ recipients: [] }))).toBeNull();
    expect(parseHeader(header({ recipients: [id(2), id(1)] }))).toBeNull();
    expect(parseHeader(header({ recipients: [id(1), id(1), id(2)] }))).toBeNull();
    expect(parseHeader(header({ recipients: [id(2), id(3)] }))).toBeNull();
    expect(parseHeader(header({ recipients: [id(1), id(2).toUpperCase()] }))).toBeNull();
    expect(parseHeader(header({ recipients: [id(1), 'not-a-uuid'] }))).toBeNull();
  });

  it('refuses other versions, missing or extra fields, uppercase ids and a header over 16 384 bytes', () => {
    expect(parseHeader(header({ v: 3 }))).toBeNull();
    expect(parseHeader(header({ extra: 1 }))).toBeNull();
    const { sent_at: _omit, ...rest } = base();
    expect(parseHeader(canonicalJson(rest as never))).toBeNull();
    expect(parseHeader(header({ sender_id: id(1).toUpperCase() }))).toBeNull();
    expect(parseHeader(header({ content_type: 'x'.repeat(100) }) + ' '.repeat(16_384))).toBeNull();
  });
});

describe('header writer rules (§5.1)', () => {
  let alice: TestUser;
  beforeAll(async () => {
    alice = await makeUser('alice', id(1));
  });
  const seal = (patch: { contentType?: string; sentAt?: number; recipients?: string[] }) =>
    sealMessage({
      conversationId: id(100), messageId: id(200), senderId: alice.id, plaintext: 'hi', sentAt: patch.sentAt ?? 1, signingKey: alice.keys.sigPrivate,
      contentType: patch.contentType, recipients: (patch.recipients ?? [alice.id]).map((userId) => ({ userId, encPublic: alice.keys.encPublic })),
    });

  it('emits only 1–100 of a-z 0-9 . / + - _ as content type', async () => {
    expect(writableContentType('application/vnd.courier.reading+json')).toBe(true);
    expect(writableContentType('x'.repeat(100))).toBe(true);
    for (const ct of ['', 'x'.repeat(101), 'Text/Plain', 'a;b', 'a b']) expect(writableContentType(ct), ct).toBe(false);
    await expect(seal({ contentType: 'Text/Plain' })).rejects.toThrow(/writer rule/);
  });

  it('refuses a negative or unsafe sent_at and more than 256 recipients', async () => {
    await expect(seal({ sentAt: -1 })).rejects.toThrow(/sent_at/);
    await expect(seal({ sentAt: 2 ** 53 })).rejects.toThrow(/sent_at/);
    const many = Array.from({ length: 256 }, (_, i) => id(i + 2));
    await expect(seal({ recipients: [alice.id, ...many] })).rejects.toThrow(/256/);
  });
});

describe('usernames (§2.1)', () => {
  it('trims whitespace and lowercases ASCII letters only', () => {
    expect(normalizeUsername('  Alice_1\n')).toBe('alice_1');
    expect(normalizeUsername('\u00a0BOB.x-Y\u3000')).toBe('bob.x-y');
    expect(isValidUsername(' Alice ')).toBe(true);
  });

  it('does no Unicode case mapping: non-ASCII letters stay and are refused', () => {
    expect(normalizeUsername('\u212Aelvin')).toBe('\u212Aelvin'); // KELVIN SIGN, which toLowerCase() maps to "k"
    expect(isValidUsername('\u212Aelvin')).toBe(false);
    expect(normalizeUsername('ÄLICE')).toBe('Älice');
    expect(isValidUsername('ÄLICE')).toBe(false);
    expect(isValidUsername('İnci')).toBe(false);
  });

  it('takes 3–32 of a-z 0-9 _ . -', () => {
    expect(isValidUsername('abc')).toBe(true);
    expect(isValidUsername('x'.repeat(32))).toBe(true);
    for (const bad of ['ab', 'x'.repeat(33), 'a b', 'semi;colon', '']) expect(isValidUsername(bad), bad).toBe(false);
  });
});

describe('recovery key entry (§2.3)', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const b64 = toBase64(key);
  const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');

  it('accepts the shown base64 form, surrounding whitespace ignored, and 64 hex digits', () => {
    expect(parseRecoveryKey(` \n${b64}\t`)).toEqual(key);
    expect(parseRecoveryKey(hex)).toEqual(key);
    expect(parseRecoveryKey(hex.toUpperCase())).toEqual(key);
  });

  it('refuses inner whitespace or dashes, unpadded or URL-safe base64, and wrong lengths', () => {
    for (const bad of [`${b64.slice(0, 20)} ${b64.slice(20)}`, hex.replace(/(.{8})/g, '$1-'), b64.replace(/=$/, ''), toBase64(new Uint8Array(31)), hex.slice(2)]) {
      expect(() => parseRecoveryKey(bad), bad).toThrow();
    }
    const urlSafe = toBase64(Uint8Array.from({ length: 32 }, () => 0xfb)).replace(/\+/g, '-').replace(/\//g, '_');
    expect(() => parseRecoveryKey(urlSafe)).toThrow();
  });
});

describe('strict base64 (§1)', () => {
  it('refuses non-zero padding bits, so one value has one encoding', () => {
    expect(fromBase64('AA==')).toEqual(new Uint8Array([0]));
    expect(() => fromBase64('AB==')).toThrow();
    expect(() => fromBase64('AAB=')).toThrow();
  });
});

describe('own keys at unlock (§3)', () => {
  it('refuses an RSA-2048 encryption key even when everything else matches', async () => {
    const gen = await generateAccountKeys('frank');
    const rsa = await crypto.subtle.generateKey({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['encrypt', 'decrypt']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', rsa.publicKey));
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', rsa.privateKey));
    const userKey = await importAesKey(gen.userKeyRaw);
    const sigPriv = await crypto.subtle.importKey('pkcs8', gen.sigPrivatePkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const wire = {
      ...gen.wire,
      enc_public: toBase64(spki),
      key_signature: toBase64(await signKeySignature(sigPriv, spki)),
      wrapped_enc_private: toBase64(await aesWrap(userKey, pkcs8, aad.encKey('frank'))),
      wrapped_user_key: '',
    };
    await expect(unlockAccountKeys(gen.userKeyRaw, wire, 'frank')).rejects.toThrow(/key policy/);
  });

  it('refuses a signing key in a non-canonical SPKI', async () => {
    const gen = await generateAccountKeys('gina');
    const spki = fromBase64(gen.wire.sig_public);
    const wire = { ...gen.wire, sig_public: toBase64(new Uint8Array([...spki, 0])), wrapped_user_key: '' };
    await expect(unlockAccountKeys(gen.userKeyRaw, wire, 'gina')).rejects.toThrow(/key policy/);
  });
});

describe('message text decoding', () => {
  it('keeps a leading byte-order mark, as the Rust client does', () => {
    expect(fromUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))).toBe('\ufeffhi');
    expect(() => fromUtf8(new Uint8Array([0xff]))).toThrow();
  });
});
