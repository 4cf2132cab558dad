//! Test fixtures: users with real keypairs (RSA-3072 generation is slow, so cache per file).
import { fingerprint, generateAccountKeys, importAesKey, unlockAccountKeys, aesWrap, aad, toBase64, type AccountKeys, type PublicUser } from '@/lib/crypto';

export interface TestUser {
  id: string;
  username: string;
  keys: AccountKeys;
  publicUser: PublicUser;
}

export async function makeUser(username: string, id: string = crypto.randomUUID()): Promise<TestUser> {
  const gen = await generateAccountKeys(username);
  const stretch = crypto.getRandomValues(new Uint8Array(32));
  const wrappedUserKey = await aesWrap(await importAesKey(stretch), gen.userKeyRaw, aad.userKey(username));
  const wire = { ...gen.wire, wrapped_user_key: toBase64(wrappedUserKey) };
  const keys = await unlockAccountKeys(gen.userKeyRaw, wire, username);
  const publicUser: PublicUser = {
    id,
    username,
    enc_public: gen.wire.enc_public,
    sig_public: gen.wire.sig_public,
    key_signature: gen.wire.key_signature,
    fingerprint: await fingerprint(id, gen.encPublicSpki, gen.sigPublicSpki),
  };
  return { id, username, keys, publicUser };
}

export class MemoryStore {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}
