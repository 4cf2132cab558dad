import { api } from '@/lib/api/client';

export async function getPresence(): Promise<string[]> {
  return (await api.get<{ online: string[] }>('/api/presence')).online;
}
