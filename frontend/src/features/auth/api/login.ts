import { api } from '@/lib/api/client';
import type { LoginResponse } from '@/lib/api/types';

/** POST /api/auth/login; the refresh token comes back as the HttpOnly cookie (use_cookie). */
export function login(username: string, authKey: string): Promise<LoginResponse> {
  return api.post<LoginResponse>('/api/auth/login', { username, auth_key: authKey, use_cookie: true }, { auth: false });
}
