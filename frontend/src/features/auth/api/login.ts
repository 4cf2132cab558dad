import { api } from '@/lib/api/client';
import type { LoginRequest, LoginResponse } from '@/lib/api/types';

/** POST /api/auth/login; the refresh token comes back as the HttpOnly cookie (use_cookie). */
export function login(username: string, authKey: string): Promise<LoginResponse> {
  const body: LoginRequest = { username, auth_key: authKey, use_cookie: true };
  return api.post<LoginResponse>('/api/auth/login', body, { auth: false });
}
