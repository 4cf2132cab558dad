//! Byte helpers shared by the crypto module: standard base64 with padding (RFC 4648 §4),
//! UTF-8, concatenation and constant-shape comparison. No framework, no DOM beyond atob/btoa.

/** Bytes backed by a plain ArrayBuffer: what WebCrypto accepts as a BufferSource. */
export type Bytes = Uint8Array<ArrayBuffer>;

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Strict decoder: standard alphabet, padding required, no whitespace. */
export function fromBase64(text: string): Bytes {
  if (typeof text !== 'string' || !B64_RE.test(text)) {
    throw new CryptoFormatError('invalid base64');
  }
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // docs/protocol.md §1: the unused low bits of the last character must be zero, so that one
  // value has exactly one encoding.
  if (toBase64(out) !== text) throw new CryptoFormatError('invalid base64 (non-zero padding bits)');
  return out;
}

export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text) as Bytes;
}

/** Strict UTF-8, byte for byte: a leading U+FEFF is kept (TextDecoder drops it by default), so
 *  the browser reads exactly the text the Rust client reads. */
export function fromUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}

export function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function randomBytes(n: number): Bytes {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text: string): Bytes {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new CryptoFormatError('invalid hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Copies into a fresh ArrayBuffer-backed array (e.g. from a Node Buffer or a subarray). */
export function copyBytes(bytes: ArrayBuffer | Uint8Array): Bytes {
  return new Uint8Array(bytes instanceof ArrayBuffer ? bytes.slice(0) : bytes.slice());
}

/** Malformed input (bad base64, wrong length, wrong key type): never a partial result. */
export class CryptoFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptoFormatError';
  }
}
