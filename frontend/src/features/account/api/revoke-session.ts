import { api } from '@/lib/api/client';

export function revokeSession(id: string): Promise<void> {
  return api.delete<void>(`/api/sessions/${encodeURIComponent(id)}`);
}
