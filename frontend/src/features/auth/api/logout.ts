import { api } from '@/lib/api/client';

/** POST /api/auth/logout — revokes this session, closes its streams, clears the cookie. */
export function logout(): Promise<void> {
  return api.post<void>('/api/auth/logout');
}
