import { api } from '@/lib/api/client';
import type { PublicUser } from '@/lib/api/types';

export function getUser(id: string): Promise<PublicUser> {
  return api.get<PublicUser>(`/api/users/${encodeURIComponent(id)}`);
}
