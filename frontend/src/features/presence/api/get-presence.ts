import { api } from '@/lib/api/client';
import type { PresenceList } from '@/lib/api/types';

/** Ids of the users sharing a conversation with us who are online now. */
export async function getPresence(): Promise<string[]> {
  return (await api.get<PresenceList>('/api/presence')).online;
}
