import { api } from '@/lib/api/client';
import type { KdfParams, WireKeys } from '@/lib/api/types';

export interface RegisterRequest {
  username: string;
  auth_key: string;
  kdf: KdfParams;
  salt: string;
  keys: WireKeys;
  recovery?: { auth_key: string; wrapped_user_key: string };
}

/** POST /api/auth/register → 201 {user_id}. */
export function register(body: RegisterRequest): Promise<{ user_id: string }> {
  return api.post<{ user_id: string }>('/api/auth/register', body, { auth: false });
}
