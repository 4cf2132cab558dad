//! Password and recovery key derivation (DESIGN.md §1). PBKDF2-HMAC-SHA256 over the NFKC
//! password gives the master key; HKDF-SHA256 (empty salt, 32 bytes) splits it into the auth
//! key, the only value the server ever sees, and the stretch key, which wraps the user key.
//! We refuse fewer than 600 000 iterations whatever the server answers: a malicious server must
//! not be able to make a password cheap to brute-force.

import type { Kdf } from '@/lib/api/types';
import { type Bytes, copyBytes, randomBytes, utf8, CryptoFormatError } from './encoding';

export const MIN_ITERATIONS = 600_000;
/** Iterations used for new accounts and password changes. */
export const DEFAULT_ITERATIONS = 600_000;
export const KDF_NAME = 'pbkdf2-sha256';
export const SALT_BYTES = 16;

export const INFO_AUTH = 'courier/v1/auth';
export const INFO_WRAP = 'courier/v1/wrap';
export const INFO_RECOVERY_AUTH = 'courier/v1/recovery-auth';
export const INFO_RECOVERY_WRAP = 'courier/v1/recovery-wrap';

/** KDF parameters as they travel (OpenAPI `Kdf`). */
export type KdfParams = Kdf;

export class WeakKdfError extends Error {
  constructor(iterations: number) {
    super(`The server asked for ${iterations} PBKDF2 iterations; at least ${MIN_ITERATIONS} are required.`);
    this.name = 'WeakKdfError';
  }
}

/** The most a client will run (docs/protocol.md §9), so a hostile server cannot make it hang. */
export const MAX_ITERATIONS = 10_000_000;

/** Refuses anything but PBKDF2-SHA256 with at least MIN_ITERATIONS (and a sane upper bound). */
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
  return randomBytes(SALT_BYTES);
}

export async function pbkdf2Master(password: string, salt: Uint8Array, iterations: number): Promise<Bytes> {
  if (iterations < MIN_ITERATIONS) throw new WeakKdfError(iterations);
  if (salt.length !== SALT_BYTES) throw new CryptoFormatError('salt must be 16 bytes');
  const base = await crypto.subtle.importKey('raw', normalizePassword(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: copyBytes(salt), iterations },
    base,
    256,
  );
  return new Uint8Array(bits);
}

export async function hkdf32(ikm: Uint8Array, info: string): Promise<Bytes> {
  const base = await crypto.subtle.importKey('raw', copyBytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(info) },
    base,
    256,
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
  if (recoveryKey.length !== 32) throw new CryptoFormatError('recovery key must be 32 bytes');
  const [authKey, wrapKey] = await Promise.all([
    hkdf32(recoveryKey, INFO_RECOVERY_AUTH),
    hkdf32(recoveryKey, INFO_RECOVERY_WRAP),
  ]);
  return { authKey, wrapKey };
}
