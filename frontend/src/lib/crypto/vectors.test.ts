//! Known-answer vectors shared with the Rust implementation (tests/vectors/courier-v1.json and
//! courier-v2.json, the key-committing envelope): fixed inputs must give identical bytes here, or
//! the browser and the other clients cannot talk.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  aesUnwrap, aesWrap, canonicalHeader, concat, derivePasswordKeys, deriveRecoveryKeys, digestToGroups, fingerprint,
  commitmentInput, fingerprintDigest, fromBase64, hkdf32, keyCommitment, importEncPrivate, importEncPublic, importSigPrivate, importSigPublic,
  normalizePassword, openMessage, parseRecoveryKey, unlockAccountKeys, unwrapUserKey, pbkdf2Master, safetyNumber, sha256, toBase64, utf8, verifyKeySignature,
  type HeaderFields,
} from '@/lib/crypto';

const VECTOR_PATH = fileURLToPath(new URL('../../../../tests/vectors/courier-v1.json', import.meta.url));
const VECTOR_V2_PATH = fileURLToPath(new URL('../../../../tests/vectors/courier-v2.json', import.meta.url));

/* eslint-disable @typescript-eslint/no-explicit-any */
function loadVectors(): any {
  if (!existsSync(VECTOR_PATH)) {
    throw new Error(`known-answer vector file missing: ${VECTOR_PATH} (written by the Rust crypto work)`);
  }
  return JSON.parse(readFileSync(VECTOR_PATH, 'utf8'));
}

const V = existsSync(VECTOR_PATH) ? loadVectors() : null;
const b = (s: string) => fromBase64(s);
const b64 = (x: Uint8Array) => toBase64(x);

describe('known-answer vectors (courier-v1.json)', () => {
  it('the vector file exists and is version 1', () => {
    const v = loadVectors();
    expect(v.version).toBe(1);
  });

  describe.runIf(V)('with the file', () => {
    it('password KDF: NFKC, PBKDF2 master, HKDF auth and stretch keys', async () => {
      const k = V.kdf;
      expect(new TextDecoder().decode(normalizePassword(k.password))).toBe(k.password_nfkc);
      expect(k.iterations).toBeGreaterThanOrEqual(600_000);
      const master = await pbkdf2Master(k.password, b(k.salt), k.iterations);
      expect(b64(master)).toBe(k.master_key);
      expect(b64(await hkdf32(master, 'courier/v1/auth'))).toBe(k.auth_key);
      expect(b64(await hkdf32(master, 'courier/v1/wrap'))).toBe(k.stretch_key);
      const both = await derivePasswordKeys(k.password, b(k.salt), { name: 'pbkdf2-sha256', iterations: k.iterations });
      expect(b64(both.authKey)).toBe(k.auth_key);
    });

    it('recovery key derivation (the key as users see it)', async () => {
      const r = V.recovery;
      const keys = await deriveRecoveryKeys(parseRecoveryKey(r.recovery_key));
      expect(b64(keys.authKey)).toBe(r.auth_key);
      expect(b64(keys.wrapKey)).toBe(r.wrap_key);
      const wrapped = V.wraps.find((w: { name: string }) => w.name === 'user_key_recovery');
      if (wrapped) expect(b64(await unwrapUserKey(keys.wrapKey, wrapped.wrapped, V.kdf.username, true))).toBe(V.keys.user_key);
    });

    it("alice's login keys open with her password, non-extractable", async () => {
      const wrap = (name: string) => V.wraps.find((w: { name: string }) => w.name === name).wrapped;
      const wire = {
        enc_public: V.keys.enc_public_spki, sig_public: V.keys.sig_public_spki, key_signature: V.keys.key_signature,
        wrapped_user_key: wrap('user_key'), wrapped_enc_private: wrap('enc_private'), wrapped_sig_private: wrap('sig_private'),
      };
      const pw = await derivePasswordKeys(V.kdf.password, b(V.kdf.salt), { name: 'pbkdf2-sha256', iterations: V.kdf.iterations });
      const userKey = await unwrapUserKey(pw.stretchKey, wire.wrapped_user_key, V.kdf.username);
      expect(b64(userKey)).toBe(V.keys.user_key);
      const keys = await unlockAccountKeys(userKey, wire, V.kdf.username);
      expect(keys.encPrivate.extractable).toBe(false);
      expect(keys.sigPrivate.extractable).toBe(false);
    });

    it('AES-GCM wraps with fixed ivs', async () => {
      expect(V.wraps.length).toBeGreaterThan(0);
      for (const w of V.wraps) {
        const aadText: string = typeof w.aad === 'string' && w.aad.startsWith('courier/') ? w.aad : new TextDecoder().decode(b(w.aad));
        const wrapped = await aesWrap(b(w.key), b(w.plaintext), aadText, b(w.iv));
        expect(b64(wrapped), w.name).toBe(w.wrapped);
        expect(b64(await aesUnwrap(b(w.key), b(w.wrapped), aadText)), w.name).toBe(w.plaintext);
      }
    });

    it('account keys import and the key signature verifies', async () => {
      const k = V.keys;
      await importEncPrivate(b(k.enc_private_pkcs8));
      await importSigPrivate(b(k.sig_private_pkcs8));
      await importEncPublic(b(k.enc_public_spki));
      const sig = await importSigPublic(b(k.sig_public_spki));
      expect(await verifyKeySignature(sig, b(k.enc_public_spki), b(k.key_signature))).toBe(true);
      expect(await verifyKeySignature(sig, b(k.enc_public_spki), b(V.bad.key_signature_wrong))).toBe(false);
      await expect(importEncPublic(b(V.bad.rsa2048_spki))).rejects.toThrow();
    });

    it('envelope: canonical header, h, ciphertext; signature and wrapped key open', async () => {
      const e = V.envelope;
      const header = canonicalHeader(e.header_fields as HeaderFields);
      expect(header).toBe(e.header);
      const h = await sha256(utf8(header));
      expect(b64(h)).toBe(e.h);
      const k = await crypto.subtle.importKey('raw', b(e.content_key), 'AES-GCM', false, ['encrypt']);
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: b(e.iv), additionalData: h }, k, utf8(e.plaintext_utf8)));
      expect(b64(ct)).toBe(e.ciphertext);
      expect(b64(concat(h, b(e.iv), ct))).toBe(e.signature_input);
      const sigKey = await importSigPublic(b(V.keys.sig_public_spki));
      expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, sigKey, b(e.signature), b(e.signature_input))).toBe(true);
      const encPriv = await importEncPrivate(b(V.keys.enc_private_pkcs8));
      const rawK = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP', label: h }, encPriv, b(e.wrapped_key)));
      expect(b64(rawK)).toBe(e.content_key);
      const opened = await openMessage(
        {
          conversation_id: e.header_fields.conversation_id, message_id: e.header_fields.message_id,
          sender_id: e.header_fields.sender_id, header: e.header, iv: e.iv, ciphertext: e.ciphertext,
          signature: e.signature, wrapped_key: e.wrapped_key,
        },
        { ownUserId: e.recipient_user_id, ownEncPrivate: encPriv, senderSigPublic: sigKey },
      );
      expect(opened).toMatchObject({ ok: true, text: e.plaintext_utf8, legacy: true });
    });

    it('fingerprint and safety number', async () => {
      const f = V.fingerprint;
      const d = await fingerprintDigest(f.user_id, b(f.enc_public_spki), b(f.sig_public_spki));
      expect(b64(d)).toBe(f.digest);
      expect(digestToGroups(d).join(' ')).toBe(f.fingerprint);
      expect(await fingerprint(f.user_id, b(f.enc_public_spki), b(f.sig_public_spki))).toBe(f.fingerprint);
      const s = V.safety_number;
      if (s.b.enc_public_spki) expect(await fingerprint(s.b.user_id, b(s.b.enc_public_spki), b(s.b.sig_public_spki))).toBe(s.b.fingerprint);
      const a = { userId: s.a.user_id, fingerprint: s.a.fingerprint };
      const c = { userId: s.b.user_id, fingerprint: s.b.fingerprint };
      expect(safetyNumber(a, c)).toBe(s.safety_number);
      expect(safetyNumber(c, a)).toBe(s.safety_number);
    });
  });
});

describe('known-answer vectors (courier-v2.json, the key-committing envelope)', () => {
  const V2 = JSON.parse(readFileSync(VECTOR_V2_PATH, 'utf8'));
  const e = V2.envelope;

  const received = (x: any) => {
    const f = JSON.parse(x.header);
    return {
      conversation_id: f.conversation_id, message_id: f.message_id, sender_id: f.sender_id, header: x.header,
      commitment: x.commitment, iv: x.iv, ciphertext: x.ciphertext, signature: x.signature, wrapped_key: x.wrapped_key,
    };
  };
  const alice = async () => ({
    ownUserId: e.recipient_user_id,
    ownEncPrivate: await importEncPrivate(b(V2.keys.enc_private_pkcs8)),
    senderSigPublic: await importSigPublic(b(V2.keys.sig_public_spki)),
  });

  it('is version 2', () => {
    expect(V2.version).toBe(2);
    expect(e.header_fields.v).toBe(2);
  });

  it('header, h, ciphertext, commitment and signature input are reproduced; the signature verifies', async () => {
    const header = canonicalHeader(e.header_fields as HeaderFields);
    expect(header).toBe(e.header);
    const h = await sha256(utf8(header));
    expect(b64(h)).toBe(e.h);
    const k = await crypto.subtle.importKey('raw', b(e.content_key), 'AES-GCM', false, ['encrypt']);
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: b(e.iv), additionalData: h }, k, utf8(e.plaintext_utf8)));
    expect(b64(ct)).toBe(e.ciphertext);
    expect(e.commit_label).toBe('courier/v2/commit');
    expect(b64(commitmentInput(h))).toBe(e.commitment_input);
    const commitment = await keyCommitment(b(e.content_key), h);
    expect(b64(commitment)).toBe(e.commitment);
    expect(b64(concat(h, commitment, b(e.iv), ct))).toBe(e.signature_input);
    const sigKey = await importSigPublic(b(V2.keys.sig_public_spki));
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, sigKey, b(e.signature), b(e.signature_input))).toBe(true);
  });

  it('the v2 envelope opens, not marked legacy', async () => {
    expect(await openMessage(received(e), await alice())).toMatchObject({ ok: true, text: e.plaintext_utf8, legacy: false });
  });

  it('the multi-recipient attack vector is refused on the commitment', async () => {
    const a = V2.multi_recipient_attack;
    const ctx = await alice();
    const h = await sha256(utf8(a.header));
    const rawK = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP', label: h }, ctx.ownEncPrivate, b(a.wrapped_key)));
    expect(b64(rawK)).toBe(a.other_key);
    expect(b64(await keyCommitment(b(a.content_key), h))).toBe(a.commitment);
    expect(await openMessage(received(a), ctx)).toMatchObject({ ok: false, reason: 'content key does not match the key commitment' });
  });
});
