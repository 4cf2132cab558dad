//! Telling people when something happens: the title count, notifications, the divider and how
//! far a read receipt may go. Pure decisions, no DOM.
import { describe, expect, it } from 'vitest';
import type { Conversation } from '@/lib/api/types';
import type { MessageObject } from '@/lib/events/decode';
import { SERIES_CONTENT_TYPE } from '@/lib/protocol/constants';
import { applyEvent, documentTitle, initialState, notificationFor, readTarget, unreadDivider, unreadTotal, type ChatMessage, type MessengerEvent, type MessengerState } from '.';

const me = { id: 'me', username: 'me' };
const bob = { id: 'bob', username: 'bob' };
const carol = { id: 'carol', username: 'carol' };
const conv = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id, kind: 'direct', members: [me, bob], former_members: [], created_at: '2024-01-01T00:00:00Z',
  last_activity_at: '2024-01-01T00:00:00Z', last_position: 0, read_up_to: 0, unread_count: 0, ...extra,
});
const wire = (position: number, sender = 'bob', conversation = 'c'): MessageObject => ({
  conversation_id: conversation, message_id: `${conversation}${position}`, position, sender_id: sender, server_ts: 1_700_000_000_000 + position, deleted: false, header: 'h',
});
const run = (events: MessengerEvent[], s: MessengerState = initialState(me, null, {})) => events.reduce(applyEvent, s);
const text = (position: number, sender = 'bob', body = `hello ${position}`, conversationId = 'c'): ChatMessage => ({
  id: `${conversationId}${position}`, conversationId, senderId: sender, position, sentAt: 0, local: 'stored', content: { kind: 'text', text: body },
});
const arrive = (conversationId: string, ...ws: MessageObject[]): MessengerEvent => ({ type: 'messages/arrived', conversationId, wires: ws, source: 'live' });
const group = conv('g', { kind: 'group', title: 'Weekend', members: [me, bob, carol] });

describe('the unread total in the tab title', () => {
  it('adds every conversation but the muted ones', () => {
    let s = run([{ type: 'conversations/listed', list: [conv('c'), group] }, arrive('c', wire(1), wire(2)), arrive('g', wire(1, 'carol', 'g'))]);
    expect(unreadTotal(s)).toBe(3);
    s = run([{ type: 'conversation/muted', conversationId: 'g', muted: true }], s);
    expect(unreadTotal(s)).toBe(2);
    s = run([{ type: 'conversation/muted', conversationId: 'g', muted: false }], s);
    expect(unreadTotal(s)).toBe(3);
  });
  it('does not count telemetry batches (claimed by the header, as the server does)', () => {
    const batch = (position: number): MessageObject => ({
      ...wire(position),
      header: `{"content_type":"${SERIES_CONTENT_TYPE}","conversation_id":"00000000-0000-4000-8000-000000000001","message_id":"00000000-0000-4000-8000-00000000000${position}","recipients":["00000000-0000-4000-8000-000000000002"],"sender_id":"00000000-0000-4000-8000-000000000002","sent_at":1,"v":2}`,
    });
    const s = run([{ type: 'conversations/listed', list: [conv('c')] }, { type: 'history/loaded', conversationId: 'c', hasOlder: false }, arrive('c', wire(1), batch(2), batch(3), wire(4))]);
    expect(unreadTotal(s)).toBe(2);
    const t = s.timelines.c;
    expect(unreadDivider(t, 0, 'me')).toEqual({ beforeId: 'c1', count: 2 });
  });
  it('reads "(3) Courier", or just "Courier"', () => {
    expect(documentTitle(3)).toBe('(3) Courier');
    expect(documentTitle(0)).toBe('Courier');
    expect(documentTitle(12_345)).toBe('(999+) Courier');
  });
});

describe('desktop notifications', () => {
  const base = run([{ type: 'conversations/listed', list: [conv('c'), group] }, { type: 'prefs/changed', prefs: { muted: {}, notify: true, hideContent: false } }]);
  const shown = { visible: false, permitted: true };

  it('name the sender (and the group) and show the text', () => {
    expect(notificationFor(base, text(1), shown)).toEqual({ title: 'bob', body: 'hello 1', tag: 'courier-c' });
    expect(notificationFor(base, text(4, 'carol', 'see   you\nthere', 'g'), shown)).toEqual({ title: 'carol in Weekend', body: 'see you there', tag: 'courier-g' });
    expect(notificationFor(base, { ...text(2), content: { kind: 'unverified', reason: 'x' } }, shown)?.body).toBe('New message');
    expect([...notificationFor(base, text(3, 'bob', 'x'.repeat(500)), shown)!.body]).toHaveLength(200);
  });
  it('with content hidden say only "New message": no sender, no conversation, no text', () => {
    const s = run([{ type: 'prefs/changed', prefs: { ...base.prefs, hideContent: true } }], base);
    const n = notificationFor(s, text(1, 'carol', 'secret plans', 'g'), shown)!;
    expect(n).toEqual({ title: 'Courier', body: 'New message', tag: 'courier-message' });
    expect(JSON.stringify(n)).not.toMatch(/carol|Weekend|secret|\bg\b/);
  });
  it('are not shown for the chat open in a visible page, but are when the page is hidden or another chat is open', () => {
    const open = run([{ type: 'conversation/opened', conversationId: 'c' }], base);
    expect(notificationFor(open, text(1), { visible: true, permitted: true })).toBeNull();
    expect(notificationFor(open, text(1), { visible: false, permitted: true })).not.toBeNull();
    expect(notificationFor(open, text(1, 'carol', 'hi', 'g'), { visible: true, permitted: true })).not.toBeNull();
  });
  it('are never shown for a muted chat, our own message, a deleted or already read one, or without permission or the setting', () => {
    const muted = run([{ type: 'conversation/muted', conversationId: 'c', muted: true }], base);
    expect(notificationFor(muted, text(1), shown)).toBeNull();
    expect(notificationFor(base, text(1, 'me'), shown)).toBeNull();
    expect(notificationFor(base, { ...text(1), content: { kind: 'deleted' } }, shown)).toBeNull();
    expect(notificationFor(base, text(1), { visible: false, permitted: false })).toBeNull();
    expect(notificationFor(run([{ type: 'prefs/changed', prefs: { ...base.prefs, notify: false } }], base), text(1), shown)).toBeNull();
    const read = run([{ type: 'conversation/read', conversationId: 'c', position: 5 }], base);
    expect(notificationFor(read, text(5), shown)).toBeNull();
    expect(notificationFor(read, text(6), shown)).not.toBeNull();
  });
});

describe('the unread divider and read receipts', () => {
  const timeline = (messages: ChatMessage[]) => ({ messages, loaded: true, hasOlder: false, loadingOlder: false, preview: null });
  it('goes before the first unread message from someone else and counts them (deleted ones not)', () => {
    const t = timeline([text(1), text(2, 'me'), text(3), { ...text(4), content: { kind: 'deleted' } }, text(5, 'me'), text(6)]);
    expect(unreadDivider(t, 1, 'me')).toEqual({ beforeId: 'c3', count: 2 });
    expect(unreadDivider(t, 6, 'me')).toBeNull();
    expect(unreadDivider(timeline([text(1, 'me')]), 0, 'me')).toBeNull();
  });
  it('a read receipt names nothing beyond what was on screen', () => {
    const t = timeline([text(1), text(2), text(3, 'me'), text(4), { ...text(5), content: { kind: 'pending' } }]);
    expect(readTarget(t, 'me', 0)).toBeNull();
    expect(readTarget(t, 'me', 2)?.id).toBe('c2');
    expect(readTarget(t, 'me', 3)?.id).toBe('c2');
    expect(readTarget(t, 'me', 5)?.id).toBe('c4'); // the newest one is still being opened
  });
  it('a deleted message stops counting as unread (but not one already read, nor one of ours)', () => {
    const del = (position: number, sender = 'bob'): MessengerEvent => ({ type: 'stream', event: { type: 'message_deleted', conversationId: 'c', messageId: wire(position, sender).message_id }, now: 0 });
    let s = run([{ type: 'conversations/listed', list: [conv('c')] }, { type: 'history/loaded', conversationId: 'c', hasOlder: false }, arrive('c', wire(1), wire(2), wire(3), { ...wire(4, 'me'), message_id: 'mine' })]);
    expect(s.conversations.byId.c.unread_count).toBe(3);
    s = run([{ type: 'conversation/read', conversationId: 'c', position: 1 }, del(2)], s);
    expect(s.conversations.byId.c.unread_count).toBe(1);
    expect(unreadTotal(s)).toBe(1);
    s = run([del(1), del(2), { type: 'stream', event: { type: 'message_deleted', conversationId: 'c', messageId: 'mine' }, now: 0 }], s);
    expect(s.conversations.byId.c.unread_count).toBe(1);
    expect(unreadDivider(s.timelines.c, 1, 'me')).toEqual({ beforeId: 'c3', count: 1 });
  });
  it('reading part of a chat leaves the rest unread', () => {
    let s = run([{ type: 'conversations/listed', list: [conv('c')] }, { type: 'history/loaded', conversationId: 'c', hasOlder: false }, arrive('c', wire(1), wire(2), wire(3), wire(4))]);
    expect(s.conversations.byId.c.unread_count).toBe(4);
    s = run([{ type: 'conversation/read', conversationId: 'c', position: 2 }], s);
    expect(s.conversations.byId.c).toMatchObject({ read_up_to: 2, unread_count: 2 });
    s = run([{ type: 'conversation/read', conversationId: 'c', position: 4 }], s);
    expect(s.conversations.byId.c.unread_count).toBe(0);
  });
});
