//! Fingerprints and safety numbers (docs/protocol.md §4). d = SHA-256(user id ‖ 0x00 ‖
//! enc SPKI ‖ sig SPKI); six 5-digit groups, group i = big-endian d[5i..5i+5] mod 100 000.
//! A pair's safety number is both fingerprints ordered by user id: both sides see the same.

import { type Bytes, concat, copyBytes, utf8 } from './encoding';

export async function fingerprintDigest(userId: string, encSpki: Uint8Array, sigSpki: Uint8Array): Promise<Bytes> {
  const data = concat(utf8(userId.toLowerCase()), new Uint8Array([0]), encSpki, sigSpki);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', copyBytes(data)));
}

export function digestToGroups(d: Uint8Array): string[] {
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + d[5 * i + j];
    groups.push(String(n % 100_000).padStart(5, '0'));
  }
  return groups;
}

export async function fingerprint(userId: string, encSpki: Uint8Array, sigSpki: Uint8Array): Promise<string> {
  return digestToGroups(await fingerprintDigest(userId, encSpki, sigSpki)).join(' ');
}

export interface FingerprintOf {
  userId: string;
  fingerprint: string;
}

export function safetyNumber(a: FingerprintOf, b: FingerprintOf): string {
  const [first, second] = a.userId < b.userId ? [a, b] : [b, a];
  return `${first.fingerprint} ${second.fingerprint}`;
}
