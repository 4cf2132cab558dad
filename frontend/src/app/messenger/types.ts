//! View state of the messenger: what the screens render. Immutable; replaced on every change.
import type { ContactStatus, Envelope } from '@/lib/crypto';
import type { Conversation, UserRef } from '@/lib/api/types';
import type { MessageObject as WireMessage } from '@/lib/events/decode';
import type { StreamStatus } from '@/lib/events/event-stream';

export type MessageContent =
  /** `legacy`: a verified v1 message, which is not key-committing (shown with a marker). */
  | { kind: 'text'; text: string; legacy?: boolean }
  /** Verified, but no visible text: no Courier client sends one, so it is flagged. */
  | { kind: 'empty'; legacy?: boolean }
  | { kind: 'pending' }
  | { kind: 'unverified'; reason: string }
  | { kind: 'unsupported'; contentType: string }
  | { kind: 'deleted' };

export type Delivery = 'sending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface ChatMessage {
  id: string;
  conversationId: string;
  senderId: string;
  /** Server order; null until the server has stored it. */
  position: number | null;
  /** The sender's clock (header sent_at) once verified, else the server's. */
  sentAt: number;
  local: 'sending' | 'failed' | 'stored';
  content: MessageContent;
  /** Kept to re-verify after a key change is accepted, or to retry a failed send. */
  wire?: WireMessage;
  envelope?: Envelope;
}

export interface ConversationView {
  conv: Conversation;
  messages: ChatMessage[];
  /** History loaded at least once (the newest page). */
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** user id → typing until (ms). */
  typing: Record<string, number>;
  preview: ChatMessage | null;
}

export interface ContactView {
  userId: string;
  username: string;
  status: ContactStatus | null;
  /** Last problem fetching the keys (network), if any. */
  error?: string;
}

/** Cumulative receipt positions per member. */
export interface ReceiptPositions {
  delivered: number;
  read: number;
}

export interface MessengerState {
  me: UserRef;
  conversations: Record<string, ConversationView>;
  listLoaded: boolean;
  activeId: string | null;
  online: Record<string, boolean>;
  contacts: Record<string, ContactView>;
  receipts: Record<string, Record<string, ReceiptPositions>>;
  connection: StreamStatus;
  notice: { kind: 'error' | 'info'; text: string } | null;
}

export function conversationTitle(conv: Conversation, meId: string): string {
  if (conv.kind === 'group') return conv.title || conv.members.filter((m) => m.id !== meId).map((m) => m.username).join(', ') || 'Group';
  return conv.members.find((m) => m.id !== meId)?.username ?? conv.title ?? 'Conversation';
}

export function otherMembers(conv: Conversation, meId: string) {
  return conv.members.filter((m) => m.id !== meId);
}
