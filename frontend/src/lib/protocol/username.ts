//! Usernames exactly as docs/protocol.md §2.1 (and the server) have them: strip leading and
//! trailing whitespace (Unicode White_Space, as Rust's `str::trim`), lowercase ASCII letters only
//! (no Unicode case mapping: `K` U+212A stays what it is, and is refused), then require
//! `^[a-z0-9_.-]{3,32}$`. The normalised form is what every AAD binds.

import { USERNAME_MAX_LEN, USERNAME_MIN_LEN } from './constants';

const WS = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM_RE = new RegExp(`^${WS}+|${WS}+$`, 'g');
export const USERNAME_RE = new RegExp(`^[a-z0-9_.-]{${USERNAME_MIN_LEN},${USERNAME_MAX_LEN}}$`);

/** The normal form (not yet checked: see `isValidUsername`). */
export function normalizeUsername(name: string): string {
  return name.replace(TRIM_RE, '').replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Whether the name is valid after normalisation. */
export function isValidUsername(name: string): boolean {
  return USERNAME_RE.test(normalizeUsername(name));
}
