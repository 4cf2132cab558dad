//! Effect: the contact book. Fetches contacts' public keys, runs them through the pin store (TOFU,
//! key_signature, fingerprint; docs/protocol.md §4) and reports the result as `contact/recorded`. Sending asks for
//! fresh keys (at most `SEND_MAX_AGE` old) and refuses any contact whose key is not trusted.

import { PinStore, safetyNumber, type CheckedKeys, type ContactStatus, type PublicUser } from '@/lib/crypto';
import type { AccountKeys } from '@/lib/crypto';
import type { UserRef } from '@/lib/api/types';
import { ApiError } from '@/lib/api/errors';
import { getUser, lookupUser } from '@/features/users';
import type { MessengerStore } from '../store';

const SEND_MAX_AGE = 30_000;

export class SendBlockedError extends Error {
  constructor(readonly userIds: string[], message: string) {
    super(message);
    this.name = 'SendBlockedError';
  }
}

export class ContactBook {
  private fetchedAt = new Map<string, number>();
  private keys = new Map<string, CheckedKeys>();
  private inflight = new Map<string, Promise<ContactStatus | null>>();

  constructor(
    readonly pins: PinStore,
    private readonly store: MessengerStore,
    private readonly me: UserRef,
    private readonly myKeys: AccountKeys,
  ) {}

  private record(user: PublicUser | { id: string; username: string }, status: ContactStatus | null, error?: string): void {
    this.store.dispatch({ type: 'contact/recorded', contact: { userId: user.id, username: user.username, status, error } });
  }

  /** Runs a server answer through the pins and records it. */
  async accept(user: PublicUser): Promise<ContactStatus> {
    const { status, keys } = await this.pins.check(user);
    this.fetchedAt.set(user.id, Date.now());
    if (keys && status.kind === 'trusted') this.keys.set(user.id, keys);
    else this.keys.delete(user.id);
    this.record(user, status);
    return status;
  }

  /** Fetches a contact's keys unless we checked them less than `maxAgeMs` ago. */
  refresh(userId: string, maxAgeMs = 60_000): Promise<ContactStatus | null> {
    if (userId === this.me.id) return Promise.resolve(null);
    const at = this.fetchedAt.get(userId);
    const current = this.store.get().contacts[userId]?.status ?? null;
    if (at !== undefined && Date.now() - at < maxAgeMs && current) return Promise.resolve(current);
    let p = this.inflight.get(userId);
    if (!p) {
      p = getUser(userId)
        .then((u) => this.accept(u))
        .catch((e: unknown) => {
          const prev = this.store.get().contacts[userId];
          if (prev) this.record({ id: userId, username: prev.username }, prev.status, e instanceof Error ? e.message : 'lookup failed');
          return prev?.status ?? null;
        })
        .finally(() => this.inflight.delete(userId));
      this.inflight.set(userId, p);
    }
    return p;
  }

  async findByName(username: string): Promise<{ user: PublicUser; status: ContactStatus }> {
    const user = await lookupUser(username).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) throw new Error(`No one is called “${username.trim()}”. Check the spelling.`);
      throw e;
    });
    if (user.id === this.me.id) throw new Error('That is you. Enter someone else’s username.');
    return { user, status: await this.accept(user) };
  }

  /** The key message signatures are checked against: the pinned one (pinned on first use). */
  async sigKey(userId: string): Promise<CryptoKey | null> {
    if (userId === this.me.id) return this.myKeys.sigPublic;
    if (!this.pins.get(userId)) await this.refresh(userId, 0);
    return this.pins.pinnedSigKey(userId);
  }

  /** Fresh, trusted encryption keys for sending, or SendBlockedError naming who blocks it. */
  async encKeysForSending(userIds: string[]): Promise<Map<string, CryptoKey>> {
    const out = new Map<string, CryptoKey>();
    const blocked: string[] = [];
    await Promise.all(
      userIds.map(async (id) => {
        if (id === this.me.id) {
          out.set(id, this.myKeys.encPublic);
          return;
        }
        const status = await this.refresh(id, SEND_MAX_AGE);
        const keys = this.keys.get(id);
        if (status?.kind === 'trusted' && keys) out.set(id, keys.encPublic);
        else blocked.push(id);
      }),
    );
    if (blocked.length) {
      const names = blocked.map((id) => this.store.get().contacts[id]?.username ?? 'a member').join(', ');
      throw new SendBlockedError(blocked, `Not sent: the security key of ${names} could not be confirmed.`);
    }
    return out;
  }

  acceptKeyChange(userId: string): void {
    const c = this.store.get().contacts[userId];
    if (c?.status?.kind !== 'changed') return;
    const pin = this.pins.acceptKeyChange(userId, c.status.offered);
    this.fetchedAt.delete(userId);
    this.record({ id: userId, username: c.username }, { kind: 'trusted', pin, firstUse: false });
    void this.refresh(userId, 0);
  }

  setVerified(userId: string, verified: boolean): void {
    const pin = this.pins.setVerified(userId, verified);
    const c = this.store.get().contacts[userId];
    if (pin && c?.status?.kind === 'trusted') this.record({ id: userId, username: c.username }, { ...c.status, pin });
  }

  /** The safety number to compare, for the pinned keys or for keys on offer after a change. */
  safetyNumber(userId: string, myFingerprint: string, which: 'pinned' | 'offered' = 'pinned'): string | null {
    const c = this.store.get().contacts[userId];
    const pin = which === 'offered' && c?.status?.kind === 'changed' ? c.status.offered : this.pins.get(userId);
    if (!pin) return null;
    return safetyNumber({ userId: this.me.id, fingerprint: myFingerprint }, { userId, fingerprint: pin.fingerprint });
  }
}
