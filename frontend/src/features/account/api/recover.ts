import { api } from '@/lib/api/client';
import type { KdfParams } from '@/lib/api/types';

/** Step 1: prove the recovery key, get the user key wrapped under the recovery wrap key. */
export function recoverStart(username: string, recoveryAuthKey: string): Promise<{ wrapped_user_key: string }> {
  return api.post('/api/account/recover', { username, recovery_auth_key: recoveryAuthKey }, { auth: false });
}

export interface RecoverFinish {
  username: string;
  recovery_auth_key: string;
  new_auth_key: string;
  kdf: KdfParams;
  salt: string;
  wrapped_user_key: string;
}

/** Step 2: set the new password (user key re-wrapped); every session is revoked. */
export function recoverFinish(body: RecoverFinish): Promise<void> {
  return api.post<void>('/api/account/recover', body, { auth: false });
}
