import { describe, expect, it } from 'vitest';
import { normalizeConversation } from './normalize';

describe('normalizeConversation', () => {
  it('accepts members as {user_id} (api.md) or {id} (server), and fills optional counters', () => {
    const base = { id: 'c', kind: 'direct' as const, title: null, created_at: '', last_activity_at: '', last_position: 2, read_up_to: null, unread_count: 0 };
    const a = normalizeConversation({ ...base, members: [{ user_id: 'u1', username: 'a' }] });
    const b = normalizeConversation({ ...base, members: [{ id: 'u1', username: 'a' }], unread_count: undefined as never });
    expect(a.members).toEqual([{ user_id: 'u1', username: 'a' }]);
    expect(b.members).toEqual(a.members);
    expect(b.unread_count).toBe(0);
    expect(b.read_up_to).toBe(0);
  });
});
