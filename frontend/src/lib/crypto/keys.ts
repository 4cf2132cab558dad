//! Account key material (docs/protocol.md §2.4, key policy §3): the user key, the RSA-OAEP-3072 encryption keypair and
//! the ECDSA P-256 signing keypair. Private keys travel only wrapped under the user key, and are
//! imported back NON-extractable: once unlocked, not even our own code can read them out.

import type { WireKeys } from '@/lib/api/types';
import { KEY_LEN, RSA_BITS, SIGNATURE_LEN } from '@/lib/protocol/constants';
import { type Bytes, copyBytes, fromBase64, randomBytes, toBase64, CryptoFormatError } from './encoding';
import { aad, aesUnwrap, aesWrap, importAesKey } from './wrap';

const RSA_PARAMS = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const EC_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The `keys` object of register and login, all base64 (OpenAPI `AccountKeys`). */
export type { WireKeys };

/** Unlocked keys of the signed-in user; the private ones cannot be exported. */
export interface AccountKeys {
  userKey: CryptoKey;
  encPrivate: CryptoKey;
  sigPrivate: CryptoKey;
  encPublic: CryptoKey;
  sigPublic: CryptoKey;
  encPublicSpki: Bytes;
  sigPublicSpki: Bytes;
}

export interface NewAccountKeys {
  /** Raw user key bytes: needed once more to wrap under the recovery key. */
  userKeyRaw: Bytes;
  wire: Omit<WireKeys, 'wrapped_user_key'>;
  encPublicSpki: Bytes;
  sigPublicSpki: Bytes;
  encPrivatePkcs8: Bytes;
  sigPrivatePkcs8: Bytes;
}

export async function generateAccountKeys(username: string): Promise<NewAccountKeys> {
  const userKeyRaw = randomBytes(KEY_LEN);
  const [enc, sig] = await Promise.all([
    crypto.subtle.generateKey(
      { ...RSA_PARAMS, modulusLength: RSA_BITS, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['encrypt', 'decrypt'],
    ),
    crypto.subtle.generateKey(EC_PARAMS, true, ['sign', 'verify']),
  ]);
  const encPublicSpki = new Uint8Array(await crypto.subtle.exportKey('spki', enc.publicKey));
  const sigPublicSpki = new Uint8Array(await crypto.subtle.exportKey('spki', sig.publicKey));
  const encPrivatePkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', enc.privateKey));
  const sigPrivatePkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', sig.privateKey));
  const keySignature = await signKeySignature(sig.privateKey, encPublicSpki);
  const userKey = await importAesKey(userKeyRaw);
  const wire = {
    enc_public: toBase64(encPublicSpki),
    sig_public: toBase64(sigPublicSpki),
    key_signature: toBase64(keySignature),
    wrapped_enc_private: toBase64(await aesWrap(userKey, encPrivatePkcs8, aad.encKey(username))),
    wrapped_sig_private: toBase64(await aesWrap(userKey, sigPrivatePkcs8, aad.sigKey(username))),
  };
  return { userKeyRaw, wire, encPublicSpki, sigPublicSpki, encPrivatePkcs8, sigPrivatePkcs8 };
}

/** key_signature: ECDSA P-256 SHA-256 (raw r‖s) over the encryption key's SPKI DER. */
export async function signKeySignature(sigPrivate: CryptoKey, encPublicSpki: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign(ECDSA_SIGN, sigPrivate, copyBytes(encPublicSpki)));
}

export async function verifyKeySignature(sigPublic: CryptoKey, encPublicSpki: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== SIGNATURE_LEN) return false;
  return crypto.subtle.verify(ECDSA_SIGN, sigPublic, copyBytes(signature), copyBytes(encPublicSpki));
}

/** The one encoding of a key: what WebCrypto exports for it. Fingerprints hash the SPKI bytes, so
 *  every client (and the server) accepts only this form (docs/protocol.md §3). */
async function isCanonicalSpki(key: CryptoKey, spki: Uint8Array): Promise<boolean> {
  const again = new Uint8Array(await crypto.subtle.exportKey('spki', key));
  return again.length === spki.length && again.every((x, i) => x === spki[i]);
}

/**
 * Imports a contact's encryption key, refusing anything but RSA-3072 with exponent 65537 in
 * canonical SPKI DER: the one key policy, the same in the Rust client and the server.
 */
export async function importEncPublic(spki: Uint8Array): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', copyBytes(spki), RSA_PARAMS, true, ['encrypt']);
  } catch {
    throw new CryptoFormatError('encryption key is not an RSA-OAEP public key');
  }
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  const e = Array.from(alg.publicExponent).join(',');
  if (alg.modulusLength !== RSA_BITS || (e !== '1,0,1' && e !== '0,1,0,1') || !(await isCanonicalSpki(key, spki))) {
    throw new CryptoFormatError(`encryption key must be RSA-${RSA_BITS} with exponent 65537 (canonical SPKI DER)`);
  }
  return key;
}

/** Imports a contact's signing key: ECDSA P-256, uncompressed point, canonical SPKI DER. */
export async function importSigPublic(spki: Uint8Array): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', copyBytes(spki), EC_PARAMS, true, ['verify']);
  } catch {
    throw new CryptoFormatError('signing key is not an ECDSA P-256 public key');
  }
  if (!(await isCanonicalSpki(key, spki))) throw new CryptoFormatError('signing key must be an uncompressed P-256 SPKI');
  return key;
}

export async function importEncPrivate(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', copyBytes(pkcs8), RSA_PARAMS, false, ['decrypt']);
}

export async function importSigPrivate(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', copyBytes(pkcs8), EC_PARAMS, false, ['sign']);
}

export class UnlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnlockError';
  }
}

/** Unwraps the user key with the stretch key (throws UnlockError on a wrong password). */
export async function unwrapUserKey(stretchKey: Uint8Array, wrappedUserKey: string, username: string, recovery = false): Promise<Bytes> {
  try {
    const blob = fromBase64(wrappedUserKey);
    return await aesUnwrap(stretchKey, blob, recovery ? aad.userKeyRecovery(username) : aad.userKey(username));
  } catch {
    throw new UnlockError(recovery ? 'That recovery key does not open this account.' : 'Wrong password.');
  }
}

/**
 * Unlock (docs/protocol.md §2.7 step 4, key policy §3): unwraps and imports the private keys
 * (PKCS#8 of the right type and size), checks both public keys against the key policy, checks that
 * the public keys the server returned really belong to the private keys (sign/verify and
 * encrypt/decrypt a probe), and that key_signature holds. Any failure is an UnlockError: the server
 * handed over something that is not this account's.
 */
export async function unlockAccountKeys(userKeyRaw: Uint8Array, wire: WireKeys, username: string): Promise<AccountKeys> {
  const userKey = await importAesKey(userKeyRaw);
  let encPrivate: CryptoKey;
  let sigPrivate: CryptoKey;
  try {
    const encPkcs8 = await aesUnwrap(userKey, fromBase64(wire.wrapped_enc_private), aad.encKey(username));
    const sigPkcs8 = await aesUnwrap(userKey, fromBase64(wire.wrapped_sig_private), aad.sigKey(username));
    encPrivate = await importEncPrivate(encPkcs8);
    sigPrivate = await importSigPrivate(sigPkcs8);
    encPkcs8.fill(0);
    sigPkcs8.fill(0);
  } catch {
    throw new UnlockError('Your private keys could not be unlocked: they may have been tampered with.');
  }
  const encAlg = encPrivate.algorithm as RsaHashedKeyAlgorithm; // WebCrypto's shape for an RSA key
  if (encAlg.modulusLength !== RSA_BITS) throw new UnlockError(`Your encryption key is not RSA-${RSA_BITS}: it breaks the key policy.`);
  let encPublicSpki: Bytes;
  let sigPublicSpki: Bytes;
  let encPublic: CryptoKey;
  let sigPublic: CryptoKey;
  try {
    encPublicSpki = fromBase64(wire.enc_public);
    sigPublicSpki = fromBase64(wire.sig_public);
    encPublic = await importEncPublic(encPublicSpki);
    sigPublic = await importSigPublic(sigPublicSpki);
  } catch (e) {
    throw new UnlockError(`Your public keys break the key policy: ${e instanceof Error ? e.message : 'malformed'}.`);
  }
  const probe = randomBytes(KEY_LEN);
  const sig = await crypto.subtle.sign(ECDSA_SIGN, sigPrivate, probe);
  const sigOk = await crypto.subtle.verify(ECDSA_SIGN, sigPublic, sig, probe);
  let encOk: boolean;
  try {
    const ct = await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, encPublic, probe);
    const back = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, encPrivate, ct));
    encOk = back.every((b, i) => b === probe[i]);
  } catch {
    encOk = false;
  }
  const ksOk = await verifyKeySignature(sigPublic, encPublicSpki, fromBase64(wire.key_signature));
  if (!sigOk || !encOk || !ksOk) {
    throw new UnlockError('The server returned public keys that do not match your private keys.');
  }
  return { userKey, encPrivate, sigPrivate, encPublic, sigPublic, encPublicSpki, sigPublicSpki };
}
