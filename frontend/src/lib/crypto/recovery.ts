//! The optional recovery key (docs/protocol.md §2.3): 32 random bytes shown once, as standard
//! padded base64 (44 characters ending in `=`) like every Courier client shows it. Entry accepts
//! that form back with surrounding whitespace ignored and, as §2.3 allows the browser, 64 hex
//! digits. Nothing else: no inner spaces or dashes, no unpadded or URL-safe base64.

import { KEY_LEN } from '@/lib/protocol/constants';
import { type Bytes, fromBase64, fromHex, randomBytes, toBase64, CryptoFormatError } from './encoding';

export function newRecoveryKey(): Bytes {
  return randomBytes(KEY_LEN);
}

export function formatRecoveryKey(key: Uint8Array): string {
  return toBase64(key);
}

export function parseRecoveryKey(text: string): Bytes {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return fromHex(t);
  try {
    const bytes = fromBase64(t);
    if (bytes.length === KEY_LEN) return bytes;
  } catch {
    /* fall through */
  }
  throw new CryptoFormatError('That is not a recovery key: it is 44 characters of base64, ending in “=”.');
}
