//! Canonical JSON (RFC 8785 for the value shapes we use): object keys sorted by UTF-16 code
//! units, no whitespace, strings escaped as JSON.stringify does (which matches RFC 8785), and
//! only safe integers as numbers. The message header is signed as this exact string.

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('canonical JSON here allows only safe integers');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
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
