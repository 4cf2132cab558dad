//! The pure reducers: events in, state out; no I/O, no clock (time comes in the event).
import { describe, expect, it } from 'vitest';
import type { Conversation } from '@/lib/api/types';
import type { MessageObject } from '@/lib/events/decode';
import { applyEvent, initialState, memberNoteText, membershipNotice, TYPING_MS, type MessengerEvent, type MessengerState } from '.';

const me = { id: 'me', username: 'me' };
const conv = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id, kind: 'direct', members: [me, { id: 'bob', username: 'bob' }], former_members: [], created_at: '2024-01-01T00:00:00Z',
  last_activity_at: '2024-01-01T00:00:00Z', last_position: 0, read_up_to: 0, unread_count: 0, ...extra,
});
const wire = (position: number, sender = 'bob', id = `m${position}`): MessageObject => ({
  conversation_id: 'c', message_id: id, position, sender_id: sender, server_ts: 1_700_000_000_000 + position, deleted: false, header: 'h',
});
const run = (events: MessengerEvent[], s: MessengerState = initialState(me, null, {})) => events.reduce(applyEvent, s);
const listed: MessengerEvent = { type: 'conversations/listed', list: [conv('c')] };

describe('applyEvent', () => {
  it('returns the same state object for an event that changes nothing', () => {
    const s = run([listed]);
    expect(applyEvent(s, { type: 'typing/expired', now: 0 })).toBe(s);
    expect(applyEvent(s, { type: 'messages/arrived', conversationId: 'unknown', wires: [wire(1)], source: 'live' })).toBe(s);
  });

  it('lists conversations with empty timelines and drops an active id that no longer exists', () => {
    const s = run([listed], initialState(me, 'gone', {}));
    expect(Object.keys(s.conversations.byId)).toEqual(['c']);
    expect(s.timelines.c).toMatchObject({ messages: [], loaded: false, hasOlder: true });
    expect(s.conversations).toMatchObject({ listLoaded: true, activeId: null });
  });

  it('counts live messages from others as unread once, and moves last_position', () => {
    const arrive = (w: MessageObject): MessengerEvent => ({ type: 'messages/arrived', conversationId: 'c', wires: [w], source: 'live' });
    const s = run([listed, arrive(wire(1)), arrive(wire(1)), arrive(wire(2, 'me'))]);
    expect(s.conversations.byId.c).toMatchObject({ unread_count: 1, last_position: 2 });
    expect(s.timelines.c.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(s.timelines.c.preview?.id).toBe('m2');
  });

  it('keeps history out of a timeline not loaded yet, but shows it as the preview', () => {
    const s = run([listed, { type: 'messages/arrived', conversationId: 'c', wires: [wire(5)], source: 'history' }]);
    expect(s.timelines.c.messages).toEqual([]);
    expect(s.timelines.c.preview?.id).toBe('m5');
    expect(s.conversations.byId.c.unread_count).toBe(0);
  });

  it('fills in opened content, but keeps the text of our own sent message', () => {
    const local: MessengerEvent = {
      type: 'message/local', message: { id: 'mine', conversationId: 'c', senderId: 'me', position: null, sentAt: 1, local: 'sending', content: { kind: 'text', text: 'hi' } },
    };
    const s = run([
      listed, { type: 'history/loaded', conversationId: 'c', hasOlder: false }, local,
      { type: 'messages/arrived', conversationId: 'c', wires: [wire(1), wire(2, 'me', 'mine')], source: 'live' },
      { type: 'messages/opened', conversationId: 'c', opened: [
        { messageId: 'm1', content: { kind: 'unverified', reason: 'bad signature' }, sentAt: 9 },
        { messageId: 'mine', content: { kind: 'text', text: 'other' }, sentAt: 9 },
      ] },
    ]);
    expect(s.timelines.c.messages.map((m) => [m.id, m.content])).toEqual([
      ['m1', { kind: 'unverified', reason: 'bad signature' }],
      ['mine', { kind: 'text', text: 'hi' }],
    ]);
  });

  it('deletes for everyone from the stream, and a deletion is never undone', () => {
    const s = run([
      listed, { type: 'history/loaded', conversationId: 'c', hasOlder: false },
      { type: 'messages/arrived', conversationId: 'c', wires: [wire(1)], source: 'live' },
      { type: 'stream', event: { type: 'message_deleted', conversationId: 'c', messageId: 'm1' }, now: 0 },
      { type: 'messages/arrived', conversationId: 'c', wires: [wire(1)], source: 'live' },
    ]);
    expect(s.timelines.c.messages[0]).toMatchObject({ id: 'm1', content: { kind: 'deleted' }, wire: undefined });
  });

  it('shows typing until TYPING_MS after the event, ends it with a message, ignores our own', () => {
    const typing = (userId: string, now: number): MessengerEvent => ({ type: 'stream', event: { type: 'typing', conversationId: 'c', userId }, now });
    let s = run([listed, typing('bob', 1000), typing('me', 1000)]);
    expect(s.typing).toEqual({ c: { bob: 1000 + TYPING_MS } });
    expect(run([{ type: 'typing/expired', now: 1000 + TYPING_MS - 1 }], s).typing.c).toEqual({ bob: 1000 + TYPING_MS });
    expect(run([{ type: 'typing/expired', now: 1000 + TYPING_MS + 1 }], s).typing.c).toEqual({});
    s = run([{ type: 'stream', event: { type: 'message', message: wire(1) }, now: 2000 }], s);
    expect(s.typing.c).toEqual({});
    expect(run([typing('bob', 0)]).typing).toEqual({}); // unknown conversation
  });

  it('applies receipts cumulatively, and our own read receipt clears unread', () => {
    const receipt = (userId: string, status: 'read' | 'delivered', position: number): MessengerEvent => ({
      type: 'stream', event: { type: 'receipt', conversationId: 'c', userId, status, upTo: 'x', position }, now: 0,
    });
    const s = run([{ type: 'conversations/listed', list: [conv('c', { last_position: 3, unread_count: 2 })] }, receipt('bob', 'read', 2), receipt('bob', 'read', 1), receipt('me', 'read', 3)]);
    expect(s.receipts.c.bob).toEqual({ delivered: 0, read: 2 });
    expect(s.conversations.byId.c).toMatchObject({ read_up_to: 3, unread_count: 0 });
  });

  it('merges a conversation event over ours (keeping caller-specific fields), and removes on our removal', () => {
    const { unread_count: _u, read_up_to: _r, ...shared } = conv('c', { kind: 'group', members: [me] });
    const base = run([{ type: 'conversations/listed', list: [conv('c', { unread_count: 4 })] }, { type: 'conversation/opened', conversationId: 'c' }]);
    const s = run([{ type: 'stream', now: 0, event: { type: 'conversation', change: 'member_added', userId: 'carol', by: 'me', conversationId: 'c', conversation: shared } }], base);
    expect(s.conversations.byId.c).toMatchObject({ kind: 'group', unread_count: 4 });
    const gone = run([{ type: 'stream', now: 0, event: { type: 'conversation', change: 'member_removed', userId: null, by: null, conversationId: 'c', conversation: null } }], s);
    expect(gone.conversations).toMatchObject({ byId: {}, activeId: null });
    expect(gone.timelines).toEqual({});
  });

  it('tracks presence from the stream and replaces it from a presence answer', () => {
    let s = run([{ type: 'stream', event: { type: 'presence', userId: 'bob', online: true }, now: 0 }]);
    expect(s.presence).toEqual({ bob: true });
    s = run([{ type: 'presence/loaded', online: ['carol'] }], s);
    expect(s.presence).toEqual({ carol: true });
    // Our own stream dropped: nobody is known to be online any more.
    s = run([{ type: 'connection', status: 'offline' }], s);
    expect(s.presence).toEqual({});
  });

  it('marks read optimistically and reverts when the receipt fails', () => {
    let s = run([{ type: 'conversations/listed', list: [conv('c', { unread_count: 2, read_up_to: 1 })] }, { type: 'conversation/read', conversationId: 'c', position: 5 }]);
    expect(s.conversations.byId.c).toMatchObject({ read_up_to: 5, unread_count: 0 });
    s = run([{ type: 'conversation/read-reverted', conversationId: 'c', readUpTo: 1 }], s);
    expect(s.conversations.byId.c.read_up_to).toBe(1);
  });

  it('keeps drafts as stored, without a key for an empty one, and drops those of a removed conversation', () => {
    let s = run([listed]);
    expect(s.drafts).toBeNull();
    s = run([{ type: 'drafts/loaded', drafts: { c: 'hello', d: 'other' } }, { type: 'draft/saved', conversationId: 'c', text: 'hello there' }], s);
    expect(s.drafts).toEqual({ c: 'hello there', d: 'other' });
    s = run([{ type: 'draft/saved', conversationId: 'c', text: '' }, { type: 'conversation/removed', conversationId: 'd' }], s);
    expect(s.drafts).toEqual({});
    expect(applyEvent(s, { type: 'draft/saved', conversationId: 'c', text: '' })).toBe(s);
  });

  it('puts a line where members were added, removed or left, naming who did it', () => {
    const carol = { id: 'carol', username: 'carol' };
    const dan = { id: 'dan', username: 'dan' };
    const group = conv('g', { kind: 'group', title: 'G', created_by: 'me', members: [me, carol] });
    const change = (kind: 'member_added' | 'member_removed', userId: string, by: string | null, members = group.members): MessengerEvent => ({
      type: 'stream', now: 0, event: { type: 'conversation', change: kind, userId, by, conversationId: 'g', conversation: { ...group, members } },
    });
    let s = run([{ type: 'conversations/listed', list: [group] }, { type: 'history/loaded', conversationId: 'g', hasOlder: false }, change('member_added', 'dan', 'carol', [me, carol, dan])]);
    s = run([{ type: 'messages/arrived', conversationId: 'g', wires: [{ ...wire(1, 'dan'), conversation_id: 'g' }], source: 'live' }, change('member_removed', 'dan', 'dan'), change('member_removed', 'carol', null, [me]), change('member_added', 'me', 'carol')], s);
    const notes = s.timelines.g.memberNotes ?? [];
    expect(notes.map((n) => n.afterId)).toEqual([null, 'm1', 'm1']); // our own re-adding is the top notice's
    const names = (id: string) => ({ carol: 'carol', dan: 'dan' })[id];
    expect(notes.map((n) => memberNoteText(n, 'me', names))).toEqual(['carol added dan', 'dan left', 'carol was removed']);
    expect(memberNoteText({ key: 'k', afterId: null, change: 'member_removed', subject: 'gone', by: 'me' }, 'me', names)).toBe('You removed a former member');
    expect(memberNoteText({ key: 'k', afterId: null, change: 'member_added', subject: 'dan', by: null }, 'me', names)).toBe('dan was added');
  });

  it('tells a member added later why earlier messages are missing, naming the creator, never a guessed adder', () => {
    const group = conv('g', { kind: 'group', title: 'G', created_by: 'carol', last_position: 7, members: [me, { id: 'carol', username: 'carol' }] });
    const names = (id: string) => ({ carol: 'carol' })[id];
    const loaded = (wires: MessageObject[], hasOlder = false) =>
      run([{ type: 'conversations/listed', list: [group] }, { type: 'history/loaded', conversationId: 'g', hasOlder }, { type: 'messages/arrived', conversationId: 'g', wires: wires.map((w) => ({ ...w, conversation_id: 'g' })), source: 'history' }]).timelines.g;
    const later = membershipNotice(group, loaded([wire(6, 'carol'), wire(7, 'carol')]), 'me', names);
    expect(later).toContain('You were added to carol’s group after it started. Earlier messages are not available to you');
    expect(membershipNotice(group, loaded([]), 'me', names)).toContain('Earlier messages are not available'); // nothing readable at all
    expect(membershipNotice({ ...group, last_position: 2 }, loaded([wire(1, 'carol'), wire(2, 'me')]), 'me', names)).toBe('You were added to carol’s group.');
    expect(membershipNotice(group, loaded([wire(1, 'carol'), wire(2, 'me'), wire(7, 'carol')]), 'me', names)).toContain(
      'Messages sent while you were not a member are not available to you',
    ); // left and added back: 3 to 6 were not for us
    expect(membershipNotice(group, loaded([wire(1, 'carol'), wire(2, 'me')]), 'me', names)).toContain('while you were not a member'); // 3 to 7
    // The server says who added the reader: that person is named, not the creator.
    expect(membershipNotice({ ...group, last_position: 2, added_by: 'bob' }, loaded([wire(1, 'carol'), wire(2, 'me')]), 'me', (id) => ({ bob: 'bob', carol: 'carol' })[id]))
      .toBe('bob added you to this group.');
    expect(membershipNotice(group, loaded([wire(6, 'carol')], true), 'me', names)).toBeNull(); // older pages not loaded yet
    expect(membershipNotice({ ...group, created_by: 'me' }, loaded([wire(6, 'carol')]), 'me', names)).toBeNull();
    expect(membershipNotice(conv('c'), loaded([wire(6, 'carol')]), 'me', names)).toBeNull();
  });
});
