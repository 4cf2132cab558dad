//! Turning wire messages into chat messages: every one is opened with the crypto module against
//! the sender's pinned key; failures become explicit "could not verify" entries, never text.
//! A verified legacy v1 message is marked `legacy`; a verified text with no visible characters
//! becomes an `empty` entry (flagged), never an empty bubble.

import { openMessage } from '@/lib/crypto';
import { TEXT_PLAIN } from '@/lib/protocol/constants';
import type { AccountKeys } from '@/lib/crypto';
import type { MessageObject as WireMessage } from '@/lib/events/decode';
import type { ContactBook } from './contacts';
import type { ChatMessage, MessageContent } from './types';

export function placeholder(w: WireMessage): ChatMessage {
  return {
    id: w.message_id,
    conversationId: w.conversation_id,
    senderId: w.sender_id,
    position: w.position,
    sentAt: w.server_ts,
    local: 'stored',
    content: w.deleted ? { kind: 'deleted' } : { kind: 'pending' },
    wire: w.deleted ? undefined : w,
  };
}

export async function decryptWire(
  w: WireMessage,
  me: { id: string; keys: AccountKeys },
  contacts: ContactBook,
): Promise<{ content: MessageContent; sentAt: number }> {
  if (w.deleted) return { content: { kind: 'deleted' }, sentAt: w.server_ts };
  if (!w.header || !w.iv || !w.ciphertext || !w.signature || !w.wrapped_key) {
    return { content: { kind: 'unverified', reason: 'incomplete message' }, sentAt: w.server_ts };
  }
  let senderKey: CryptoKey | null = null;
  try {
    senderKey = await contacts.sigKey(w.sender_id);
  } catch {
    senderKey = null;
  }
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
  if (!res.ok) return { content: { kind: 'unverified', reason: res.reason }, sentAt: w.server_ts };
  if (res.header.content_type !== TEXT_PLAIN) {
    return { content: { kind: 'unsupported', contentType: res.header.content_type }, sentAt: res.header.sent_at };
  }
  const legacy = res.legacy ? { legacy: true } : {};
  if (!res.text.trim()) return { content: { kind: 'empty', ...legacy }, sentAt: res.header.sent_at };
  return { content: { kind: 'text', text: res.text, ...legacy }, sentAt: res.header.sent_at };
}
