import { describe, expect, it } from 'vitest';
import { mergeMessages } from './timeline';
import type { ChatMessage } from './types';

const m = (id: string, position: number | null, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id, conversationId: 'c', senderId: 's', position, sentAt: position ?? 1e15, local: 'stored', content: { kind: 'pending' }, ...extra,
});

describe('timeline', () => {
  it('orders by position, keeps unsent messages last and never duplicates an id', () => {
    const list = mergeMessages([], [m('b', 2), m('pending', null, { local: 'sending' }), m('a', 1)]);
    expect(list.map((x) => x.id)).toEqual(['a', 'b', 'pending']);
    const again = mergeMessages(list, [m('a', 1), m('b', 2), m('c', 3)]);
    expect(again.map((x) => x.id)).toEqual(['a', 'b', 'c', 'pending']);
  });

  it('keeps the text of an own message when the server echo arrives, and keeps deletions', () => {
    const own = m('x', null, { local: 'sending', content: { kind: 'text', text: 'hi' } });
    const [echoed] = mergeMessages([own], [m('x', 7)]);
    expect(echoed).toMatchObject({ position: 7, local: 'stored', content: { kind: 'text', text: 'hi' } });
    const deleted = mergeMessages([m('y', 3, { content: { kind: 'deleted' } })], [m('y', 3, { content: { kind: 'text', text: 'resurrected' } })]);
    expect(deleted[0].content.kind).toBe('deleted');
  });

  it('keeps a stored message stored when an outbox copy of it (queued) merges in', () => {
    const [kept] = mergeMessages([m('z', 4, { content: { kind: 'text', text: 'once' } })], [m('z', null, { local: 'queued', content: { kind: 'text', text: 'once' } })]);
    expect(kept).toMatchObject({ position: 4, local: 'stored' });
  });
});
