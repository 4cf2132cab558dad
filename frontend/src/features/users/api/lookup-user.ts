import { api, query } from '@/lib/api/client';
import type { PublicUser } from '@/lib/api/types';
import { normalizeUsername } from '@/lib/protocol/username';

/** GET /api/users?username= — exact (normalised, docs/protocol.md §2.1) name, public keys and fingerprint. */
export function lookupUser(username: string): Promise<PublicUser> {
  return api.get<PublicUser>(`/api/users${query({ username: normalizeUsername(username) })}`);
}
