//! The stream boundary: valid events become typed values; anything malformed is rejected with a
//! reason, never passed on half-checked; unknown event types are `unknown` (skipped, id counted).
import { describe, expect, it } from 'vitest';
import { decodeConversation, decodeEvent, decodeMessage } from './decode';

const C = 'c3a1e0f2-5b7d-4e21-9a3c-2f6d8b1e4a70';
const M = '0f4f6a8e-1b2c-4d3e-8f90-a1b2c3d4e5f6';
const U = '7d1e2f30-4a5b-4c6d-9e8f-0a1b2c3d4e5f';
const V = '9e8d7c6b-5a49-4382-a170-6f5e4d3c2b1a';

const message = {
  conversation_id: C, message_id: M, position: 3, sender_id: U, server_ts: 1_700_000_000_000,
  header: '{}', iv: 'AAAA', ciphertext: 'AAAA', signature: 'AAAA', commitment: 'AAAA', wrapped_key: 'AAAA', extra_field: 'ignored',
};
const conversation = {
  id: C, kind: 'group', title: 'g', created_by: U, members: [{ id: U, username: 'alice' }, { id: V, username: 'bob' }],
  created_at: '2024-01-01T00:00:00Z', last_activity_at: '2024-01-01T00:00:00Z', last_position: 4,
};

describe('decodeEvent', () => {
  it('decodes every event type of docs/protocol.md §7.4', () => {
    expect(decodeEvent('ready', { last_seq: 41 })).toEqual({ ok: true, value: { type: 'ready', lastSeq: 41 } });
    const m = decodeEvent('message', message);
    expect(m.ok && m.value.type === 'message' && m.value.message).toMatchObject({ message_id: M, position: 3, deleted: false, commitment: 'AAAA' });
    expect(decodeEvent('message_deleted', { conversation_id: C, message_id: M })).toEqual({ ok: true, value: { type: 'message_deleted', conversationId: C, messageId: M } });
    expect(decodeEvent('receipt', { conversation_id: C, user_id: U, status: 'read', up_to: M, position: 3 })).toEqual({
      ok: true, value: { type: 'receipt', conversationId: C, userId: U, status: 'read', upTo: M, position: 3 },
    });
    const c = decodeEvent('conversation', { change: 'member_added', user_id: V, conversation });
    expect(c).toMatchObject({ ok: true, value: { type: 'conversation', change: 'member_added', userId: V, conversationId: C, conversation: { id: C, kind: 'group', last_position: 4 } } });
    expect(decodeEvent('typing', { conversation_id: C, user_id: U })).toEqual({ ok: true, value: { type: 'typing', conversationId: C, userId: U } });
    expect(decodeEvent('presence', { user_id: U, online: false })).toEqual({ ok: true, value: { type: 'presence', userId: U, online: false } });
  });

  it('gives a removed member a conversation of only {id}, and null subjects', () => {
    expect(decodeEvent('conversation', { change: 'member_removed', user_id: null, conversation: { id: C } })).toEqual({
      ok: true, value: { type: 'conversation', change: 'member_removed', userId: null, by: null, conversationId: C, conversation: null },
    });
    // Who made the change, and the former members with the names they had.
    const view = { id: C, kind: 'group', members: [], former_members: [{ id: U, username: 'ann' }], created_at: 't', last_activity_at: 't', last_position: 0 };
    const left = decodeEvent('conversation', { change: 'member_removed', user_id: U, by: U, conversation: view });
    expect(left.ok && left.value.type === 'conversation' && [left.value.by, left.value.conversation?.former_members]).toEqual([U, [{ id: U, username: 'ann' }]]);
    expect(decodeEvent('conversation', { change: 'member_removed', user_id: U, by: 7, conversation: view }).ok).toBe(false);
  });

  it('decodes a deleted message without content fields, and null commitment as absent', () => {
    const d = decodeEvent('message', { conversation_id: C, message_id: M, position: 1, sender_id: U, server_ts: 5, deleted: true });
    expect(d.ok && d.value.type === 'message' && d.value.message).toEqual({ conversation_id: C, message_id: M, position: 1, sender_id: U, server_ts: 5, deleted: true });
    const v1 = decodeMessage({ ...message, commitment: null });
    expect(v1.ok && 'commitment' in v1.value).toBe(false);
  });

  it('skips unknown event types (including key_change) without rejecting them', () => {
    expect(decodeEvent('key_change', { anything: 1 })).toEqual({ ok: true, value: { type: 'unknown', name: 'key_change' } });
    expect(decodeEvent('unknown', null)).toEqual({ ok: true, value: { type: 'unknown', name: 'unknown' } });
  });

  it.each([
    ['ready', null],
    ['ready', { last_seq: -1 }],
    ['ready', { last_seq: '41' }],
    ['message', []],
    ['message', { ...message, position: 0 }],
    ['message', { ...message, position: 1.5 }],
    ['message', { ...message, message_id: M.toUpperCase() }],
    ['message', { ...message, sender_id: undefined }],
    ['message', { ...message, iv: 12 }],
    ['message_deleted', { conversation_id: C }],
    ['receipt', { conversation_id: C, user_id: U, status: 'seen', up_to: M, position: 3 }],
    ['receipt', { conversation_id: C, user_id: U, status: 'read', up_to: M }],
    ['conversation', { change: 'renamed', user_id: null, conversation }],
    ['conversation', { change: 'created', user_id: 'bob', conversation }],
    ['conversation', { change: 'created', user_id: null }],
    ['conversation', { change: 'created', user_id: null, conversation: { ...conversation, kind: 'channel' } }],
    ['conversation', { change: 'created', user_id: null, conversation: { ...conversation, members: [{ user_id: U, username: 'a' }] } }],
    ['conversation', { change: 'created', user_id: null, conversation: { ...conversation, last_position: null } }],
    ['typing', { conversation_id: C }],
    ['presence', { user_id: U, online: 'yes' }],
    ['presence', 'online'],
  ])('rejects a malformed %s event (%#)', (type, data) => {
    const d = decodeEvent(type, data);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(/\S/);
  });
});

describe('decodeConversation', () => {
  it('keeps the optional, caller-specific fields only when present', () => {
    const d = decodeConversation({ ...conversation, read_up_to: 2, unread_count: null });
    expect(d).toMatchObject({ ok: true, value: { read_up_to: 2, unread_count: null } });
    expect(d.ok && 'delivered_up_to' in d.value).toBe(false);
  });
});
