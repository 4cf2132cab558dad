//! Effect: drafts kept per conversation across switching chats and reloads. Each draft is stored
//! in `localStorage` under its own key (so tabs do not overwrite each other's other drafts),
//! encrypted with AES-256-GCM under the user key (the key that unlocks the private keys; it never
//! leaves memory unwrapped), with an AAD naming the user and the conversation: without the
//! password nothing of a draft is readable on the device. Writes are queued in order, so the
//! stored draft is always the newest text; each stored change is reported to the model.
import { aesUnwrap, aesWrap, fromBase64, toBase64, utf8 } from '@/lib/crypto';
import type { MessengerStore } from '../store';

const prefix = (userId: string) => `courier:draft:${userId}:`;
const aadFor = (userId: string, convId: string) => `courier/local/draft|${userId}|${convId}`;

export function draftKeys(storage: Storage, userId: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(prefix(userId))) out.push(k);
  }
  return out;
}

export class DraftEffects {
  private texts = new Map<string, string>();
  private dirty = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  readonly loaded: Promise<void>;

  constructor(
    private readonly store: MessengerStore,
    private readonly userId: string,
    private readonly userKey: CryptoKey,
    private readonly storage: Storage = localStorage,
  ) {
    this.loaded = this.load();
  }

  /** Always ends with `drafts/loaded` (the composer waits for it), whatever the storage does. */
  private async load(): Promise<void> {
    const found: Record<string, string> = {};
    try {
      for (const key of draftKeys(this.storage, this.userId)) {
        const convId = key.slice(prefix(this.userId).length);
        try {
          const text = new TextDecoder().decode(await aesUnwrap(this.userKey, fromBase64(this.storage.getItem(key) ?? ''), aadFor(this.userId, convId)));
          if (text && !this.texts.has(convId)) found[convId] = text;
        } catch {
          this.storage.removeItem(key); // not ours any more (another key), or damaged
        }
      }
    } catch {
      /* storage unavailable: no stored drafts */
    }
    for (const [convId, text] of Object.entries(found)) this.texts.set(convId, text);
    this.store.dispatch({ type: 'drafts/loaded', drafts: found });
  }

  /** The draft to show (after `loaded`). */
  get(convId: string): string {
    return this.texts.get(convId) ?? '';
  }

  /** The composer's text changed: store it (empty removes the draft). */
  set(convId: string, text: string): void {
    if ((this.texts.get(convId) ?? '') === text) return;
    if (text) this.texts.set(convId, text);
    else this.texts.delete(convId);
    this.dirty.add(convId);
    this.queue = this.queue.then(() => this.persist(convId));
  }

  clear(convId: string): void {
    this.set(convId, '');
  }

  /** Resolves once every change so far is stored. */
  flushed(): Promise<void> {
    return this.queue;
  }

  private async persist(convId: string): Promise<void> {
    if (!this.dirty.delete(convId)) return; // a later queued write already stored the newest text
    const text = this.get(convId);
    const key = prefix(this.userId) + convId;
    try {
      if (text) this.storage.setItem(key, toBase64(await aesWrap(this.userKey, utf8(text), aadFor(this.userId, convId))));
      else this.storage.removeItem(key);
    } catch {
      /* storage full or disabled: the draft lives only as long as this page */
    }
    this.store.dispatch({ type: 'draft/saved', conversationId: convId, text });
  }
}
