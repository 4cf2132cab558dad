//! Effect: opening received messages (crypto). Every one is opened with the crypto module against
//! the sender's pinned key; failures become explicit "could not verify" entries, never text.
//! A verified legacy v1 message is marked `legacy`; a verified text with no visible characters
//! becomes an `empty` entry (flagged), never an empty bubble. An attachment message's content is
//! checked whole by the rules of docs/protocol.md §11.4: one failure and the message is flagged
//! (`bad-content`), never partly shown. A telemetry batch (§12) is parsed whole after it
//! verified: its points are returned beside a summary; a batch that fails to verify or to parse
//! is `series-refused` (a failure is recognised as a batch by the content type its header
//! claims, as the CLI reader does), never plotted.

import { AttachmentError, openMessage, parseAttachmentMessage, parseHeader, utf8 } from '@/lib/crypto';
import { ATTACHMENT_CONTENT_TYPE, SERIES_CONTENT_TYPE, TEXT_PLAIN } from '@/lib/protocol/constants';
import { parseSeriesBatch, SeriesError, type SeriesBatch } from '@/lib/series/batch';
import type { AccountKeys } from '@/lib/crypto';
import type { MessageObject as WireMessage } from '@/lib/events/decode';
import type { MessageContent } from '../model';
import type { ContactBook } from './contacts';

export async function decryptWire(
  w: WireMessage,
  me: { id: string; keys: AccountKeys },
  contacts: ContactBook,
): Promise<{ content: MessageContent; sentAt: number; batch?: SeriesBatch }> {
  if (w.deleted) return { content: { kind: 'deleted' }, sentAt: w.server_ts };
  if (w.header === undefined || w.iv === undefined || w.ciphertext === undefined || w.signature === undefined || w.wrapped_key === undefined) {
    return { content: { kind: 'unverified', reason: 'incomplete message' }, sentAt: w.server_ts };
  }
  const senderKey = await contacts.sigKey(w.sender_id).catch(() => null);
  const res = await openMessage(
    {
      conversation_id: w.conversation_id,
      message_id: w.message_id,
      sender_id: w.sender_id,
      header: w.header,
      ...(w.commitment !== undefined ? { commitment: w.commitment } : {}),
      iv: w.iv,
      ciphertext: w.ciphertext,
      signature: w.signature,
      wrapped_key: w.wrapped_key,
    },
    { ownUserId: me.id, ownEncPrivate: me.keys.encPrivate, senderSigPublic: senderKey },
  );
  if (!res.ok) {
    if (w.header !== undefined && parseHeader(w.header)?.content_type === SERIES_CONTENT_TYPE) {
      return { content: { kind: 'series-refused', reason: `telemetry batch could not be verified: ${res.reason}`, verified: false }, sentAt: w.server_ts };
    }
    return { content: { kind: 'unverified', reason: res.reason }, sentAt: w.server_ts };
  }
  if (res.header.content_type === ATTACHMENT_CONTENT_TYPE && !res.legacy) {
    try {
      const m = parseAttachmentMessage(utf8(res.text));
      return { content: { kind: 'attachments', ...(m.text !== undefined ? { text: m.text } : {}), attachments: m.attachments }, sentAt: res.header.sent_at };
    } catch (e) {
      return { content: { kind: 'bad-content', reason: e instanceof AttachmentError ? e.message : 'unreadable content' }, sentAt: res.header.sent_at };
    }
  }
  if (res.header.content_type === SERIES_CONTENT_TYPE) {
    try {
      const batch = parseSeriesBatch(utf8(res.text));
      const points = batch.points.length;
      return { content: { kind: 'series', stream: batch.stream, seq: batch.seq, points }, sentAt: res.header.sent_at, batch };
    } catch (e) {
      const reason = e instanceof SeriesError ? e.message : 'unreadable telemetry batch';
      return { content: { kind: 'series-refused', reason, verified: true }, sentAt: res.header.sent_at };
    }
  }
  if (res.header.content_type !== TEXT_PLAIN) {
    return { content: { kind: 'unsupported', contentType: res.header.content_type }, sentAt: res.header.sent_at };
  }
  const legacy = res.legacy ? { legacy: true } : {};
  if (!res.text.trim()) return { content: { kind: 'empty', ...legacy }, sentAt: res.header.sent_at };
  return { content: { kind: 'text', text: res.text, ...legacy }, sentAt: res.header.sent_at };
}
