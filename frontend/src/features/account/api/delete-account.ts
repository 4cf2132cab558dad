import { api } from '@/lib/api/client';

/** DELETE /api/account {auth_key}. */
export function deleteAccount(authKey: string): Promise<void> {
  return api.delete<void>('/api/account', { auth_key: authKey });
}
