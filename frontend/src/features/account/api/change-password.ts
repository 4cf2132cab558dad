import { api } from '@/lib/api/client';
import type { KdfParams } from '@/lib/api/types';

export interface ChangePasswordRequest {
  auth_key: string;
  new_auth_key: string;
  kdf: KdfParams;
  salt: string;
  wrapped_user_key: string;
}

/** POST /api/account/password — every other session is revoked. */
export function changePassword(body: ChangePasswordRequest): Promise<void> {
  return api.post<void>('/api/account/password', body);
}
