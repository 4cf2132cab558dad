//! What a bubble shows for the message kinds that must not look like ordinary text.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MessageBubble, type MessageBody } from './MessageBubble';

const render = (body: MessageBody) =>
  renderToStaticMarkup(
    createElement(MessageBubble, {
      msg: { id: 'm1', mine: false, senderName: 'alice', body, time: 0, delivery: null },
      showSender: false,
      firstOfRun: true,
      onDelete: () => {},
      onRetry: () => {},
      onCopy: () => {},
    }),
  );

describe('message bubbles', () => {
  it('mark a legacy v1 message as not key-committing, and only that one', () => {
    const legacy = render({ kind: 'text', text: 'from before v2', legacy: true });
    expect(legacy).toContain('from before v2');
    expect(legacy).toContain('legacy v1 — not key-committing');
    expect(render({ kind: 'text', text: 'current' })).not.toContain('legacy v1');
  });

  it('flag an empty message instead of drawing an empty bubble', () => {
    const empty = render({ kind: 'empty' });
    expect(empty).toContain('data-kind="empty"');
    expect(empty).toContain('Empty message');
  });

  it('never show text for a message that could not be verified', () => {
    expect(render({ kind: 'unverified', reason: 'content key does not match the key commitment' })).toContain('Could not verify this message');
  });
});
