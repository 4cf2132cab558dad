import { api } from '@/lib/api/client';
import type { SessionList, SessionView } from '@/lib/api/types';

export async function listSessions(): Promise<SessionView[]> {
  return (await api.get<SessionList>('/api/sessions')).sessions;
}
