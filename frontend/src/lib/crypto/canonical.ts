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
