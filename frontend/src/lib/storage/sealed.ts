//! Values kept on this device, sealed: JSON encrypted with AES-256-GCM under the user key (which
//! exists unwrapped only while the account is unlocked), with an AAD that names the purpose, the
//! user and the record. A record moved to another key or purpose, or altered, does not open.
import { aesUnwrap, aesWrap, utf8 } from '@/lib/crypto';

export async function sealJson(key: CryptoKey, aad: string, value: unknown): Promise<Uint8Array> {
  return aesWrap(key, utf8(JSON.stringify(value)), aad);
}

/** The value, or null when the record does not open (another key, altered, damaged). */
export async function openJson<T>(key: CryptoKey, aad: string, sealed: unknown): Promise<T | null> {
  if (!(sealed instanceof Uint8Array)) return null;
  try {
    return JSON.parse(new TextDecoder().decode(await aesUnwrap(key, sealed, aad))) as T;
  } catch {
    return null;
  }
}
