import { api } from '@/lib/api/client';
import type { DeleteAccountRequest } from '@/lib/api/types';

/** DELETE /api/account {auth_key}. */
export function deleteAccount(authKey: string): Promise<void> {
  const body: DeleteAccountRequest = { auth_key: authKey };
  return api.delete<void>('/api/account', body);
}
