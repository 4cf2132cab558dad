import { api } from '@/lib/api/client';
import type { PreloginRequest, PreloginResponse } from '@/lib/api/types';

/** POST /api/auth/prelogin — KDF parameters and salt (a deterministic fake for unknown names). */
export function prelogin(username: string): Promise<PreloginResponse> {
  const body: PreloginRequest = { username };
  return api.post<PreloginResponse>('/api/auth/prelogin', body, { auth: false });
}
