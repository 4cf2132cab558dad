//! The optional recovery key (docs/protocol.md §2.3): 32 random bytes shown once as a *recovery
//! code*, Crockford base32 in 13 groups of 4 (no letters that look like digits), as every Courier
//! client shows it, so it can be written down by hand. Entry accepts the code in any case with
//! `-` and spaces anywhere, `O` read as `0` and `I`/`L` as `1`; the earlier form, standard padded
//! base64 (44 characters ending in `=`); and, as §2.3 allows the browser, 64 hex digits.

import { KEY_LEN } from '@/lib/protocol/constants';
import { type Bytes, fromBase64, fromHex, randomBytes, CryptoFormatError } from './encoding';

export function newRecoveryKey(): Bytes {
  return randomBytes(KEY_LEN);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_SYMBOLS = Math.ceil((KEY_LEN * 8) / 5); // 52: the last one carries 1 bit and 4 zero bits

/** The recovery code: `XXXX-XXXX-…` (13 groups of 4, the 32 bytes most significant bit first). */
export function formatRecoveryKey(key: Uint8Array): string {
  let bits = '';
  for (const b of key) bits += b.toString(2).padStart(8, '0');
  bits = bits.padEnd(CODE_SYMBOLS * 5, '0');
  const symbols = Array.from({ length: CODE_SYMBOLS }, (_, i) => CROCKFORD[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]);
  return symbols.join('').replace(/(.{4})(?=.)/g, '$1-');
}

function fromRecoveryCode(text: string): Bytes | null {
  const symbols = text.replace(/[-\s]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (symbols.length !== CODE_SYMBOLS) return null;
  let bits = '';
  for (const c of symbols) {
    const v = CROCKFORD.indexOf(c);
    if (v < 0) return null;
    bits += v.toString(2).padStart(5, '0');
  }
  if (/1/.test(bits.slice(KEY_LEN * 8))) return null; // one key, one code: padding bits are zero
  return Uint8Array.from({ length: KEY_LEN }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2));
}

export function parseRecoveryKey(text: string): Bytes {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return fromHex(t);
  if (t.length === 44 && t.endsWith('=')) {
    try {
      const bytes = fromBase64(t);
      if (bytes.length === KEY_LEN) return bytes;
    } catch {
      /* fall through */
    }
  }
  const code = fromRecoveryCode(t);
  if (code) return code;
  throw new CryptoFormatError('That is not a recovery key: it is 52 letters and digits in groups of 4 (older accounts: 44 characters ending in “=”).');
}
