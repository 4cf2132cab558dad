import { api } from '@/lib/api/client';
import type { RecoverChallenge, RecoverRequest } from '@/lib/api/types';

/** Step 1: prove the recovery key, get the user key wrapped under the recovery wrap key. */
export function recoverStart(username: string, recoveryAuthKey: string): Promise<RecoverChallenge> {
  const body: Pick<RecoverRequest, 'username' | 'recovery_auth_key'> = { username, recovery_auth_key: recoveryAuthKey };
  return api.post<RecoverChallenge>('/api/account/recover', body, { auth: false });
}

/** Step 2: set the new password (user key re-wrapped); every session is revoked. */
export function recoverFinish(body: RecoverRequest): Promise<void> {
  return api.post<void>('/api/account/recover', body, { auth: false });
}
