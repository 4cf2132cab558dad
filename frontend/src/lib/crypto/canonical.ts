//! Canonical JSON (RFC 8785 for the value shapes we use): object keys sorted by UTF-16 code
//! units, no whitespace, strings escaped as JSON.stringify does (which matches RFC 8785). Numbers:
//! only safe integers by default (the message header, attachment contents); with
//! `{ numbers: 'ecmascript' }` any finite number as JSON.stringify writes it (telemetry values).
//! The message header is signed as this exact string.

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

export interface CanonicalOptions {
  numbers?: 'safe-integers' | 'ecmascript';
}

export function canonicalJson(value: CanonicalValue, options: CanonicalOptions = {}): string {
  const write = (v: CanonicalValue): string => {
    if (v === null || typeof v === 'boolean') return JSON.stringify(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (options.numbers === 'ecmascript') {
        if (!Number.isFinite(v)) throw new Error('canonical JSON has no NaN or Infinity');
        return JSON.stringify(v);
      }
      if (!Number.isSafeInteger(v)) throw new Error('canonical JSON here allows only safe integers');
      return String(v);
    }
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
    const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k])}`).join(',')}}`;
  };
  return write(value);
}

/** Parses `text` and returns the value only if re-serialising it gives back the same string. */
export function parseCanonical(text: string): CanonicalValue | null {
  let value: CanonicalValue;
  try {
    value = JSON.parse(text) as CanonicalValue;
    return canonicalJson(value) === text ? value : null;
  } catch {
    return null;
  }
}

const LONE_SURROGATE_RE = /\p{Surrogate}/u;

/** Whether any string or key in `value` holds a lone surrogate (which Rust's JSON readers refuse). */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE_RE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => LONE_SURROGATE_RE.test(k) || hasLoneSurrogate(v));
  return false;
}

/**
 * The first checks of every structured content (§11.4, §12.1): strict UTF-8 (a leading BOM kept,
 * so JSON.parse refuses it as the Rust readers do), JSON without lone surrogates, and canonical:
 * re-serialising gives back exactly the text. Returns the parsed value, or why it was refused.
 */
export function parseCanonicalContent(plaintext: Uint8Array, options: CanonicalOptions = {}): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plaintext);
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'content is not UTF-8 JSON' };
  }
  let canonical: string | null;
  try {
    if (hasLoneSurrogate(value)) return { ok: false, reason: 'content is not JSON (lone surrogate)' };
    canonical = canonicalJson(value as CanonicalValue, options);
  } catch {
    canonical = null; // not serialisable (a float, a huge integer, Infinity) or nested too deep to walk
  }
  return canonical === text ? { ok: true, value } : { ok: false, reason: 'content is not canonical JSON' };
}
