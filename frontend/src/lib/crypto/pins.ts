//! Trust on first use for contacts' keys. The first keys we see for a contact are pinned;
//! later lookups are compared with the pin. A change blocks sending to that contact until the
//! user has looked at the new safety number and accepted it. Every lookup also checks the
//! key_signature and that the server's fingerprint is the one we compute ourselves.
//! Storage is injected (localStorage in the browser, a Map in tests), namespaced by user.

import type { PublicUser } from '@/lib/api/types';
import { bytesEqual, fromBase64, toBase64 } from './encoding';
import { fingerprint } from './fingerprint';
import { importEncPublic, importSigPublic, verifyKeySignature } from './keys';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** What the server says about a user (GET /api/users/...; OpenAPI `PublicUser`). */
export type { PublicUser };

export interface Pin {
  username: string;
  encPublic: string;
  sigPublic: string;
  fingerprint: string;
  verified: boolean;
  pinnedAt: number;
}

export type ContactStatus =
  /** Keys match the pin (or were just pinned on first use). */
  | { kind: 'trusted'; pin: Pin; firstUse: boolean }
  /** Keys differ from the pin: sending is blocked until `acceptKeyChange`. */
  | { kind: 'changed'; pin: Pin; offered: Pin }
  /** The server's answer is not self-consistent (bad signature, fingerprint, key type). */
  | { kind: 'invalid'; reason: string; pin: Pin | null };

export interface CheckedKeys {
  encPublic: CryptoKey;
  sigPublic: CryptoKey;
}

export class PinStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ownerId: string,
  ) {}

  private key(): string {
    return `courier:pins:${this.ownerId}`;
  }

  all(): Record<string, Pin> {
    try {
      return JSON.parse(this.store.getItem(this.key()) ?? '{}') as Record<string, Pin>;
    } catch {
      return {};
    }
  }

  get(userId: string): Pin | null {
    return this.all()[userId] ?? null;
  }

  private put(userId: string, pin: Pin): void {
    const all = this.all();
    all[userId] = pin;
    this.store.setItem(this.key(), JSON.stringify(all));
  }

  /**
   * Validates a server answer and compares it with the pin; pins on first use.
   * Returns the imported keys when they are self-consistent.
   */
  async check(user: PublicUser): Promise<{ status: ContactStatus; keys: CheckedKeys | null }> {
    const pin = this.get(user.id);
    let offered: Pin;
    let keys: CheckedKeys;
    try {
      const enc = fromBase64(user.enc_public);
      const sig = fromBase64(user.sig_public);
      const encPublic = await importEncPublic(enc);
      const sigPublic = await importSigPublic(sig);
      if (!(await verifyKeySignature(sigPublic, enc, fromBase64(user.key_signature)))) {
        return { status: { kind: 'invalid', reason: 'the key signature does not verify', pin }, keys: null };
      }
      const fp = await fingerprint(user.id, enc, sig);
      if (fp !== user.fingerprint) {
        return { status: { kind: 'invalid', reason: 'the server-reported fingerprint is wrong', pin }, keys: null };
      }
      offered = { username: user.username, encPublic: toBase64(enc), sigPublic: toBase64(sig), fingerprint: fp, verified: false, pinnedAt: Date.now() };
      keys = { encPublic, sigPublic };
    } catch (e) {
      return { status: { kind: 'invalid', reason: e instanceof Error ? e.message : 'malformed keys', pin }, keys: null };
    }
    if (!pin) {
      this.put(user.id, offered);
      return { status: { kind: 'trusted', pin: offered, firstUse: true }, keys };
    }
    const same =
      bytesEqual(fromBase64(pin.encPublic), fromBase64(offered.encPublic)) &&
      bytesEqual(fromBase64(pin.sigPublic), fromBase64(offered.sigPublic));
    if (!same) return { status: { kind: 'changed', pin, offered }, keys };
    return { status: { kind: 'trusted', pin, firstUse: false }, keys };
  }

  /** The user has seen the new safety number and accepts the new keys (unverified). */
  acceptKeyChange(userId: string, offered: Pin): Pin {
    const pin = { ...offered, verified: false, pinnedAt: Date.now() };
    this.put(userId, pin);
    return pin;
  }

  setVerified(userId: string, verified: boolean): Pin | null {
    const pin = this.get(userId);
    if (!pin) return null;
    const next = { ...pin, verified };
    this.put(userId, next);
    return next;
  }

  /** The pinned signing key, imported: the only key message signatures are checked against. */
  async pinnedSigKey(userId: string): Promise<CryptoKey | null> {
    const pin = this.get(userId);
    return pin ? importSigPublic(fromBase64(pin.sigPublic)) : null;
  }

  async pinnedEncKey(userId: string): Promise<CryptoKey | null> {
    const pin = this.get(userId);
    return pin ? importEncPublic(fromBase64(pin.encPublic)) : null;
  }
}
