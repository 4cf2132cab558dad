import { describe, expect, it } from 'vitest';
import { acknowledgeable, applyReceipt, deliveryOf, receiptTarget } from './receipts';
import type { Conversation } from '@/lib/api/types';
import type { ChatMessage } from './types';

const conv: Conversation = {
  id: 'c', kind: 'group', title: 'g', created_at: '', last_activity_at: '', last_position: 3, read_up_to: 3, unread_count: 0, former_members: [],
  members: [{ id: "me", username: "me" }, { id: "a", username: "a" }, { id: "b", username: "b" }],
};
const msg = (position: number | null, local: ChatMessage['local'] = 'stored'): ChatMessage => ({
  id: 'm', conversationId: 'c', senderId: 'me', position, sentAt: 0, local, content: { kind: 'pending' },
});

describe('ticks', () => {
  it('go sent → delivered → read only when every other member has reached the position', () => {
    let r: ReturnType<typeof applyReceipt> = {};
    expect(deliveryOf(msg(null, 'sending'), conv, 'me', undefined)).toBe('sending');
    expect(deliveryOf(msg(2, 'failed'), conv, 'me', undefined)).toBe('failed');
    expect(deliveryOf(msg(2), conv, 'me', undefined)).toBe('sent');
    r = applyReceipt(r, 'c', 'a', 'delivered', 2);
    expect(deliveryOf(msg(2), conv, 'me', r.c)).toBe('sent');
    r = applyReceipt(r, 'c', 'b', 'read', 5);
    expect(deliveryOf(msg(2), conv, 'me', r.c)).toBe('delivered');
    r = applyReceipt(r, 'c', 'a', 'read', 2);
    expect(deliveryOf(msg(2), conv, 'me', r.c)).toBe('read');
    expect(deliveryOf(msg(3), conv, 'me', r.c)).toBe('sent');
    r = applyReceipt(r, 'c', 'a', 'delivered', 3);
    expect(deliveryOf(msg(3), conv, 'me', r.c)).toBe('delivered');
  });

  it('never move back', () => {
    const r1 = applyReceipt({}, 'c', 'a', 'read', 5);
    expect(applyReceipt(r1, 'c', 'a', 'read', 4)).toBe(r1);
  });
});

describe('the receipts we send', () => {
  const view = (...contents: [string, ChatMessage['content']][]) => ({
    loaded: true, hasOlder: false, loadingOlder: false, preview: null,
    messages: contents.map(([sender, content], i): ChatMessage => ({
      id: `m${i + 1}`, conversationId: 'c', senderId: sender, position: i + 1, sentAt: 0, local: 'stored', content,
    })),
  });

  it('never name a message that failed verification or is still being opened', () => {
    const v = view(['a', { kind: 'text', text: 'hi' }], ['b', { kind: 'unverified', reason: 'bad signature' }], ['a', { kind: 'pending' }]);
    expect(receiptTarget(v, 'me')?.id).toBe('m1');
    expect(receiptTarget(view(['a', { kind: 'unverified', reason: 'x' }]), 'me')).toBeNull();
    expect(acknowledgeable({ content: { kind: 'unverified', reason: 'x' } })).toBe(false);
  });

  it('name the newest verified message from someone else, flagged or legacy ones included', () => {
    const v = view(['a', { kind: 'text', text: 'old', legacy: true }], ['b', { kind: 'empty' }], ['me', { kind: 'text', text: 'mine' }]);
    expect(receiptTarget(v, 'me')?.id).toBe('m2');
    expect(receiptTarget(view(['me', { kind: 'text', text: 'mine' }]), 'me')).toBeNull();
  });
});
