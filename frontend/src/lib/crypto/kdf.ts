//! Password and recovery key derivation (docs/protocol.md §2.2–§2.3). PBKDF2-HMAC-SHA256 over the NFKC
//! password gives the master key; HKDF-SHA256 (empty salt, 32 bytes) splits it into the auth
//! key, the only value the server ever sees, and the stretch key, which wraps the user key.
//! We refuse fewer than 600 000 iterations whatever the server answers: a malicious server must
//! not be able to make a password cheap to brute-force.

import type { Kdf } from '@/lib/api/types';
import {
  INFO_AUTH, INFO_RECOVERY_AUTH, INFO_RECOVERY_WRAP, INFO_WRAP, KDF_NAME, KEY_LEN, MAX_ITERATIONS, MIN_ITERATIONS, SALT_LEN,
} from '@/lib/protocol/constants';
import { type Bytes, copyBytes, randomBytes, utf8, CryptoFormatError } from './encoding';


/** KDF parameters as they travel (OpenAPI `Kdf`). */
export type KdfParams = Kdf;

export class WeakKdfError extends Error {
  constructor(iterations: number) {
    super(`The server asked for ${iterations} PBKDF2 iterations; at least ${MIN_ITERATIONS} are required.`);
    this.name = 'WeakKdfError';
  }
}

/** Refuses anything but PBKDF2-SHA256 with MIN_ITERATIONS to MAX_ITERATIONS (docs/protocol.md §2.2):
 *  a hostile server can neither make a password cheap to guess nor make the client hang. */
export function checkKdfParams(kdf: KdfParams): void {
  if (!kdf || kdf.name !== KDF_NAME) throw new CryptoFormatError(`unsupported kdf ${kdf?.name}`);
  if (!Number.isSafeInteger(kdf.iterations) || kdf.iterations < MIN_ITERATIONS) {
    throw new WeakKdfError(kdf.iterations);
  }
  if (kdf.iterations > MAX_ITERATIONS) throw new CryptoFormatError('unreasonable iteration count');
}

export function normalizePassword(password: string): Bytes {
  return utf8(password.normalize('NFKC'));
}

export function newSalt(): Bytes {
  return randomBytes(SALT_LEN);
}

export async function pbkdf2Master(password: string, salt: Uint8Array, iterations: number): Promise<Bytes> {
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS) throw new WeakKdfError(iterations);
  if (iterations > MAX_ITERATIONS) throw new CryptoFormatError('unreasonable iteration count');
  if (salt.length !== SALT_LEN) throw new CryptoFormatError(`salt must be ${SALT_LEN} bytes`);
  const base = await crypto.subtle.importKey('raw', normalizePassword(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: copyBytes(salt), iterations },
    base,
    KEY_LEN * 8,
  );
  return new Uint8Array(bits);
}

export async function hkdf32(ikm: Uint8Array, info: string): Promise<Bytes> {
  const base = await crypto.subtle.importKey('raw', copyBytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(info) },
    base,
    KEY_LEN * 8,
  );
  return new Uint8Array(bits);
}

export interface PasswordKeys {
  /** 32 bytes; sent to the server (base64) to authenticate. */
  authKey: Bytes;
  /** Raw stretch key bytes, kept only long enough to import/wrap. */
  stretchKey: Bytes;
}

export async function derivePasswordKeys(password: string, salt: Uint8Array, kdf: KdfParams): Promise<PasswordKeys> {
  checkKdfParams(kdf);
  const master = await pbkdf2Master(password, salt, kdf.iterations);
  try {
    const [authKey, stretchKey] = await Promise.all([hkdf32(master, INFO_AUTH), hkdf32(master, INFO_WRAP)]);
    return { authKey, stretchKey };
  } finally {
    master.fill(0);
  }
}

export interface RecoveryKeys {
  authKey: Bytes;
  wrapKey: Bytes;
}

export async function deriveRecoveryKeys(recoveryKey: Uint8Array): Promise<RecoveryKeys> {
  if (recoveryKey.length !== KEY_LEN) throw new CryptoFormatError(`recovery key must be ${KEY_LEN} bytes`);
  const [authKey, wrapKey] = await Promise.all([
    hkdf32(recoveryKey, INFO_RECOVERY_AUTH),
    hkdf32(recoveryKey, INFO_RECOVERY_WRAP),
  ]);
  return { authKey, wrapKey };
}
