//! Read receipts name only what was on screen, and nothing while the page is hidden.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '@/lib/api/types';
import type { MessageObject } from '@/lib/events/decode';
import { initialState } from '../model';
import { MessengerStore } from '../store';
import { ReceiptEffects } from './receipts';

const posts: { status: string; messageId: string }[] = [];
vi.mock('@/features/messages', () => ({
  postReceipt: (_conv: string, status: string, messageId: string) => {
    posts.push({ status, messageId });
    return Promise.resolve();
  },
}));

const me = { id: 'me', username: 'me' };
const conv: Conversation = {
  id: 'c', kind: 'direct', members: [me, { id: 'bob', username: 'bob' }], created_at: '2024-01-01T00:00:00Z',
  last_activity_at: '2024-01-01T00:00:00Z', last_position: 0, read_up_to: 0, unread_count: 0, former_members: [],
};
const wire = (position: number): MessageObject => ({
  conversation_id: 'c', message_id: `m${position}`, position, sender_id: 'bob', server_ts: position, deleted: false, header: 'h',
});

describe('read receipts', () => {
  let visibility: 'visible' | 'hidden';
  let store: MessengerStore;
  let receipts: ReceiptEffects;
  beforeEach(() => {
    visibility = 'visible';
    vi.stubGlobal('document', { get visibilityState() { return visibility; } });
    posts.length = 0;
    store = new MessengerStore(initialState(me, null, {}));
    store.dispatch({ type: 'conversations/listed', list: [conv] });
    store.dispatch({ type: 'conversation/opened', conversationId: 'c' });
    store.dispatch({ type: 'history/loaded', conversationId: 'c', hasOlder: false });
    const wires = [1, 2, 3, 4].map(wire);
    store.dispatch({ type: 'messages/arrived', conversationId: 'c', wires, source: 'live' });
    store.dispatch({ type: 'messages/opened', conversationId: 'c', opened: wires.map((w) => ({ messageId: w.message_id, content: { kind: 'text', text: 'x' }, sentAt: 0 })) });
    receipts = new ReceiptEffects(store, 'me');
  });
  afterEach(() => vi.unstubAllGlobals());

  it('are not sent for an open chat until its messages are on screen, then only up to those', () => {
    receipts.markRead('c');
    expect(posts).toEqual([]);
    receipts.seen('c', 2);
    expect(posts).toEqual([{ status: 'read', messageId: 'm2' }]);
    expect(store.get().conversations.byId.c).toMatchObject({ read_up_to: 2, unread_count: 2 });
    receipts.seen('c', 1); // scrolling back up reads nothing new
    receipts.seen('c', 4);
    expect(posts.map((p) => p.messageId)).toEqual(['m2', 'm4']);
    expect(store.get().conversations.byId.c.unread_count).toBe(0);
  });

  it('are not sent while the page is hidden, even for messages on screen', () => {
    visibility = 'hidden';
    receipts.seen('c', 4);
    receipts.markRead('c');
    expect(posts).toEqual([]);
    expect(store.get().conversations.byId.c.unread_count).toBe(4);
    visibility = 'visible';
    receipts.seen('c', 4);
    expect(posts).toEqual([{ status: 'read', messageId: 'm4' }]);
  });

  it('are not sent for a chat that is not open', () => {
    store.dispatch({ type: 'conversation/opened', conversationId: null });
    receipts.seen('c', 4);
    expect(posts).toEqual([]);
  });
});
