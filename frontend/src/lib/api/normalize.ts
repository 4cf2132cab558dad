//! Conversations as the screens expect them. docs/api.md names members `{user_id, username}`;
//! the server (so far) sends `{id, username}`, and leaves out `read_up_to`/`unread_count` when
//! it has none. Both shapes are accepted here, in one place.
import type { Conversation, Member } from './types';

type RawMember = Partial<Member> & { id?: string };
type RawConversation = Omit<Conversation, 'members'> & { members?: RawMember[] };

export function normalizeConversation(raw: RawConversation): Conversation {
  const members: Member[] = (raw.members ?? []).map((m) => ({ user_id: (m.user_id ?? m.id) as string, username: m.username ?? '' }));
  return {
    ...raw,
    title: raw.title ?? null,
    members,
    last_position: raw.last_position ?? 0,
    read_up_to: raw.read_up_to ?? 0,
    unread_count: raw.unread_count ?? 0,
  };
}
