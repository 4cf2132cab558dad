import { api } from '@/lib/api/client';
import type { RegisterRequest, RegisterResponse } from '@/lib/api/types';

/** POST /api/auth/register → 201 {user_id}. */
export function register(body: RegisterRequest): Promise<RegisterResponse> {
  return api.post<RegisterResponse>('/api/auth/register', body, { auth: false });
}
