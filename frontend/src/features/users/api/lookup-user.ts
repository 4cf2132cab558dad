import { api, query } from '@/lib/api/client';
import type { PublicUser } from '@/lib/api/types';

/** GET /api/users?username= — exact name (lowercased), public keys and fingerprint. */
export function lookupUser(username: string): Promise<PublicUser> {
  return api.get<PublicUser>(`/api/users${query({ username: username.trim().toLowerCase() })}`);
}
