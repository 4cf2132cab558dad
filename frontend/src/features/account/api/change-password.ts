import { api } from '@/lib/api/client';
import type { ChangePasswordRequest } from '@/lib/api/types';

/** POST /api/account/password — every other session is revoked. */
export function changePassword(body: ChangePasswordRequest): Promise<void> {
  return api.post<void>('/api/account/password', body);
}
