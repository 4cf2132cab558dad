import { api } from '@/lib/api/client';
import type { PreloginResponse } from '@/lib/api/types';

/** POST /api/auth/prelogin — KDF parameters and salt (a deterministic fake for unknown names). */
export function prelogin(username: string): Promise<PreloginResponse> {
  return api.post<PreloginResponse>('/api/auth/prelogin', { username }, { auth: false });
}
