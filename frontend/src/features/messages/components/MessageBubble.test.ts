//! What a bubble shows for the message kinds that must not look like ordinary text.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AttachmentView, TransferView } from '@/features/attachments';
import type { AttachmentDescriptor } from '@/lib/crypto';
import { MessageBubble, type MessageBody } from './MessageBubble';

const render = (body: MessageBody, attachments?: AttachmentView[]) =>
  renderToStaticMarkup(
    createElement(MessageBubble, {
      msg: { id: 'm1', mine: false, senderName: 'alice', body, time: 0, delivery: null, attachments },
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

describe('own messages not sent yet', () => {
  const own = (delivery: 'queued' | 'failed', failure?: string) =>
    renderToStaticMarkup(
      createElement(MessageBubble, {
        msg: { id: 'm1', mine: true, senderName: 'me', body: { kind: 'text', text: 'later' }, time: 0, delivery, ...(failure ? { failure } : {}) },
        showSender: false,
        firstOfRun: true,
        onDelete: () => {},
        onRetry: () => {},
        onCopy: () => {},
      }),
    );

  it('show a clock while waiting for the network, not a failure', () => {
    const html = own('queued');
    expect(html).toContain('data-delivery="queued"');
    expect(html).toContain('Waiting to send');
    expect(html).not.toContain('Not sent');
  });

  it('show a refused message clearly, with why, Retry and Delete', () => {
    const html = own('failed', 'You may not post here.');
    expect(html).toContain('data-testid="not-sent"');
    expect(html).toContain('Not sent');
    expect(html).toContain('You may not post here.');
    expect(html).toMatch(/>Retry</);
    expect(html).toMatch(/>Delete</);
    expect(html).not.toContain('data-testid="ticks"'); // not the normal sent look
  });
});

describe('attachment messages', () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const d = (mediaType: string, name: string): AttachmentDescriptor => ({
    attachmentId: crypto.randomUUID(), key: new Uint8Array(32), sha256: new Uint8Array(32), name, mediaType, size: 2_048, ciphertextSize: 2_102,
  });
  const view = (mediaType: string, name: string, transfer: TransferView, inline = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(mediaType)): AttachmentView => ({
    key: 'a1', name, mediaType, size: 2_048, width: 800, height: 600, thumbnail: { mediaType: 'image/jpeg', bytes: jpeg }, inline, transfer,
  });
  const body = (views: AttachmentView[], text?: string): MessageBody => ({ kind: 'attachments', attachments: views.map((v) => d(v.mediaType, v.name)), ...(text ? { text } : {}) });
  const show = (v: AttachmentView, text?: string) => render(body([v], text), [v]);

  it('an image shows the thumbnail from the message at once, as a data: URL, and its caption as text', () => {
    const html = show(view('image/png', 'cat.png', { kind: 'downloading', progress: 0.5 }), '<b>caption</b>');
    expect(html).toContain('data-testid="attachment-thumbnail"');
    expect(html).toContain('src="data:image/jpeg;base64,');
    expect(html).not.toContain('data-testid="attachment-image"');
    expect(html).toContain('aria-label="Downloading cat.png"');
    expect(html).toContain('&lt;b&gt;caption&lt;/b&gt;');
  });

  it('the full image only once verified, and it opens in the viewer', () => {
    const html = show(view('image/png', 'cat.png', { kind: 'verified', url: 'blob:https://x/1' }));
    expect(html).toContain('data-testid="attachment-image"');
    expect(html).toContain('src="blob:https://x/1"');
    expect(html).toContain('aria-label="Open image cat.png"');
  });

  it('a damaged image says "Could not verify", offers a retry, and shows nothing of the file', () => {
    const html = show(view('image/png', 'cat.png', { kind: 'damaged', reason: 'Could not verify (hash_mismatch)' }));
    expect(html).toContain('Could not verify');
    expect(html).toContain('Retry download of cat.png');
    expect(html).not.toContain('blob:');
    expect(html).not.toContain('data-testid="attachment-image"');
  });

  it('a 404 says "Attachment unavailable"', () => {
    expect(show(view('application/pdf', 'a.pdf', { kind: 'unavailable' }, false))).toContain('Attachment unavailable');
  });

  it('other types are a card with name, size and type, and a Download button; never drawn or embedded', () => {
    for (const [type, name] of [['image/svg+xml', 'x.svg'], ['text/html', 'page.html'], ['application/pdf', 'doc.pdf']]) {
      const html = show(view(type, name, { kind: 'verified', url: null }, false));
      expect(html, type).toContain('data-kind="file"');
      expect(html, type).toContain(`Save ${name}`);
      expect(html, type).toContain('2.0 KB');
      expect(html, type).not.toMatch(/<img|<iframe|<object|<embed/);
    }
    expect(show(view('application/pdf', 'doc.pdf', { kind: 'idle' }, false))).toContain('aria-label="Download doc.pdf"');
  });

  it('an upload shows its progress and Cancel; a failed one its reason and Retry', () => {
    const going = show(view('application/zip', 'a.zip', { kind: 'upload', phase: 'uploading', progress: 0.4, error: null, retryable: false }, false));
    expect(going).toContain('Uploading 40%');
    expect(going).toContain('Cancel upload of a.zip');
    const failed = show(view('application/zip', 'a.zip', { kind: 'upload', phase: 'failed', progress: 0.4, error: 'The connection keeps failing.', retryable: true }, false));
    expect(failed).toContain('The connection keeps failing.');
    expect(failed).toContain('Retry upload of a.zip');
  });

  it('a content that breaks the rules is flagged, never partly shown', () => {
    const html = render({ kind: 'bad-content', reason: 'attachment invalid_content: unknown content field' });
    expect(html).toContain('Attachment message could not be read');
    expect(html).toContain('data-kind="bad-content"');
  });
});
