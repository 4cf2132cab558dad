//! Slice `transfers` and what a message's attachments show, pure.
import { describe, expect, it } from 'vitest';
import { downloadKey } from '@/features/attachments';
import type { AttachmentDescriptor } from '@/lib/crypto';
import { applyEvent, attachmentViews, initialState, type ChatMessage, type MessengerEvent, type MessengerState, type UploadItem } from '.';

const me = { id: 'me', username: 'me' };
const run = (events: MessengerEvent[], s: MessengerState = initialState(me, null, {})) => events.reduce(applyEvent, s);
const descriptor = (id: string, mediaType = 'image/png', sha = 1): AttachmentDescriptor => ({
  attachmentId: id, key: new Uint8Array(32), sha256: new Uint8Array(32).fill(sha), name: `${id}.png`, mediaType, size: 10, ciphertextSize: 64,
  width: 4, height: 3,
});
const message = (attachments: AttachmentDescriptor[], id = 'm1'): ChatMessage => ({
  id, conversationId: 'c', senderId: 'me', position: null, sentAt: 1, local: 'sending', content: { kind: 'attachments', text: 'hi', attachments },
});
const upload = (localId: string, extra: Partial<UploadItem> = {}): UploadItem => ({
  localId, name: `${localId}.bin`, mediaType: 'application/octet-stream', size: 100, thumbnail: null, phase: 'encrypting', sent: 0, total: 200, error: null, ...extra,
});

describe('transfers', () => {
  it('show uploads while they run: progress, failure and retryable, then the descriptors', () => {
    const m = message([]);
    let s = run([
      { type: 'uploads/added', messageId: 'm1', files: [upload('a'), upload('b')] },
      { type: 'upload/status', messageId: 'm1', localId: 'a', status: { phase: 'uploading', sent: 50, total: 200, error: null } },
      { type: 'upload/status', messageId: 'm1', localId: 'b', status: { phase: 'failed', sent: 0, total: 200, error: { message: 'The connection keeps failing.', retryable: true, restart: false } } },
    ]);
    expect(attachmentViews(m, s.transfers).map((v) => [v.key, v.transfer])).toEqual([
      ['a', { kind: 'upload', phase: 'uploading', progress: 0.25, error: null, retryable: false }],
      ['b', { kind: 'upload', phase: 'failed', progress: 0, error: 'The connection keeps failing.', retryable: true }],
    ]);
    s = run([{ type: 'upload/removed', messageId: 'm1', localId: 'b' }], s);
    expect(attachmentViews(m, s.transfers).map((v) => v.key)).toEqual(['a']);
    s = run([{ type: 'uploads/finished', messageId: 'm1' }], s);
    const sent = message([descriptor('x')]);
    expect(attachmentViews(sent, s.transfers)).toEqual([
      { key: 'x', name: 'x.png', mediaType: 'image/png', size: 10, width: 4, height: 3, thumbnail: null, inline: true, transfer: { kind: 'idle' } },
    ]);
  });

  it('show each download by descriptor: two messages naming one id with different hashes never share a result', () => {
    const d1 = descriptor('x', 'image/png', 1);
    const d2 = descriptor('x', 'image/png', 2);
    const s = run([{ type: 'download/changed', key: downloadKey(d1), item: { state: 'verified', received: 64, total: 64, url: 'blob:one', message: null } }]);
    expect(attachmentViews(message([d1]), s.transfers)[0].transfer).toEqual({ kind: 'verified', url: 'blob:one' });
    expect(attachmentViews(message([d2]), s.transfers)[0].transfer).toEqual({ kind: 'idle' });
  });

  it('map download states to what is shown, and forget one on null', () => {
    const d = descriptor('y', 'application/pdf');
    const key = downloadKey(d);
    const view = (s: MessengerState) => attachmentViews(message([d]), s.transfers)[0];
    let s = run([{ type: 'download/changed', key, item: { state: 'downloading', received: 16, total: 64, url: null, message: null } }]);
    expect(view(s)).toMatchObject({ inline: false, transfer: { kind: 'downloading', progress: 0.25 } });
    s = run([{ type: 'download/changed', key, item: { state: 'damaged', received: 0, total: 64, url: null, message: 'Could not verify (hash_mismatch)' } }], s);
    expect(view(s).transfer).toEqual({ kind: 'damaged', reason: 'Could not verify (hash_mismatch)' });
    s = run([{ type: 'download/changed', key, item: { state: 'unavailable', received: 0, total: 64, url: null, message: null } }], s);
    expect(view(s).transfer).toEqual({ kind: 'unavailable' });
    s = run([{ type: 'download/changed', key, item: null }], s);
    expect(view(s).transfer).toEqual({ kind: 'idle' });
  });

  it('a message whose every file was cancelled goes away without a trace; its uploads too', () => {
    const s = run([
      { type: 'conversations/listed', list: [{ id: 'c', kind: 'direct', members: [me], former_members: [], created_at: '', last_activity_at: '', last_position: 0 }] },
      { type: 'message/local', message: message([]) },
      { type: 'uploads/added', messageId: 'm1', files: [upload('a')] },
      { type: 'message/dropped', conversationId: 'c', messageId: 'm1' },
    ]);
    expect(s.timelines.c.messages).toEqual([]);
    expect(s.timelines.c.preview).toBeNull();
    expect(s.transfers.uploads).toEqual({});
  });

  it('an unchanged status changes nothing (no re-render)', () => {
    const s = run([
      { type: 'uploads/added', messageId: 'm1', files: [upload('a')] },
      { type: 'upload/status', messageId: 'm1', localId: 'a', status: { phase: 'uploading', sent: 5, total: 200, error: null } },
    ]);
    expect(applyEvent(s, { type: 'upload/status', messageId: 'm1', localId: 'a', status: { phase: 'uploading', sent: 5, total: 200, error: null } })).toBe(s);
    expect(applyEvent(s, { type: 'upload/status', messageId: 'other', localId: 'a', status: { phase: 'done', sent: 5, total: 200, error: null } })).toBe(s);
  });
});
