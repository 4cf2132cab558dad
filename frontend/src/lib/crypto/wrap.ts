//! AES-256-GCM key wrapping (docs/protocol.md §2.5): a wrap is iv(12) ‖ ciphertext ‖ tag(16),
//! with a fresh random iv and an AAD that binds purpose and owner, so a blob wrapped for one
//! purpose or user can never be accepted for another.

import { IV_LEN, KEY_LEN, TAG_LEN } from '@/lib/protocol/constants';
import { type Bytes, concat, copyBytes, randomBytes, utf8, CryptoFormatError } from './encoding';

export const aad = {
  userKey: (username: string) => `courier/v1/user-key|${username}`,
  userKeyRecovery: (username: string) => `courier/v1/user-key-recovery|${username}`,
  encKey: (username: string) => `courier/v1/enc-key|${username}`,
  sigKey: (username: string) => `courier/v1/sig-key|${username}`,
  /** Local only (never on the wire): the user key wrapped under this browser's device key. */
  deviceUnlock: (username: string) => `courier/local/device-unlock|${username}`,
};

/** Imports raw bytes as a non-extractable AES-GCM key. */
export async function importAesKey(raw: Uint8Array, usages: KeyUsage[] = ['encrypt', 'decrypt']): Promise<CryptoKey> {
  if (raw.length !== KEY_LEN) throw new CryptoFormatError(`AES key must be ${KEY_LEN} bytes`);
  return crypto.subtle.importKey('raw', copyBytes(raw), { name: 'AES-GCM' }, false, usages);
}

async function asKey(key: CryptoKey | Uint8Array): Promise<CryptoKey> {
  return key instanceof Uint8Array ? importAesKey(key) : key;
}

/** Wraps `plaintext`; `iv` may be fixed only by tests reproducing known answers. */
export async function aesWrap(key: CryptoKey | Uint8Array, plaintext: Uint8Array, aadText: string, iv?: Uint8Array): Promise<Bytes> {
  const nonce = iv ? copyBytes(iv) : randomBytes(IV_LEN);
  if (nonce.length !== IV_LEN) throw new CryptoFormatError(`iv must be ${IV_LEN} bytes`);
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: utf8(aadText), tagLength: TAG_LEN * 8 },
    await asKey(key),
    copyBytes(plaintext),
  );
  return concat(nonce, new Uint8Array(ct));
}

/** Throws (OperationError) if the blob was altered, or wrapped under another key or AAD. */
export async function aesUnwrap(key: CryptoKey | Uint8Array, wrapped: Uint8Array, aadText: string): Promise<Bytes> {
  if (wrapped.length < IV_LEN + TAG_LEN) throw new CryptoFormatError('wrapped value too short');
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: copyBytes(wrapped.subarray(0, IV_LEN)), additionalData: utf8(aadText), tagLength: TAG_LEN * 8 },
    await asKey(key),
    copyBytes(wrapped.subarray(IV_LEN)),
  );
  return new Uint8Array(pt);
}
