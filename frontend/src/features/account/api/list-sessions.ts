import { api } from '@/lib/api/client';
import type { SessionInfo } from '@/lib/api/types';

export async function listSessions(): Promise<SessionInfo[]> {
  return (await api.get<{ sessions: SessionInfo[] }>('/api/sessions')).sessions;
}
