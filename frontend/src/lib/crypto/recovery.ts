//! The optional recovery key: 32 random bytes shown once, as standard base64 like every other
//! Courier client shows it. Entry also accepts 64 hex digits (spaces or dashes ignored).

import { type Bytes, fromBase64, fromHex, randomBytes, toBase64, CryptoFormatError } from './encoding';

export function newRecoveryKey(): Bytes {
  return randomBytes(32);
}

export function formatRecoveryKey(key: Uint8Array): string {
  return toBase64(key);
}

export function parseRecoveryKey(text: string): Bytes {
  const compact = text.trim().replace(/[\s-]+/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(compact)) return fromHex(compact);
  try {
    const bytes = fromBase64(compact);
    if (bytes.length === 32) return bytes;
  } catch {
    /* fall through */
  }
  throw new CryptoFormatError('That is not a recovery key: it is 44 characters of base64, ending in “=”.');
}
