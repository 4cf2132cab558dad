//! Wire types of docs/api.md, shared by every feature's API modules.
import type { Envelope, KdfParams, PublicUser, WireKeys } from '@/lib/crypto';

export type { Envelope, KdfParams, PublicUser, WireKeys };

export interface UserRef {
  id: string;
  username: string;
}

export interface PreloginResponse {
  kdf: KdfParams;
  salt: string;
}

export interface LoginResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  session_id: string;
  user: UserRef;
  keys: WireKeys;
}

export interface Member {
  user_id: string;
  username: string;
}

export interface Conversation {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  members: Member[];
  created_at: string;
  last_activity_at: string;
  last_position: number | null;
  read_up_to: number | null;
  unread_count: number;
}

/** A message as history returns it and as the `message` event carries it. */
export interface WireMessage {
  conversation_id: string;
  message_id: string;
  position: number;
  sender_id: string;
  header?: string;
  /** v2 envelopes only (absent for a stored legacy v1 message). */
  commitment?: string;
  iv?: string;
  ciphertext?: string;
  signature?: string;
  wrapped_key?: string;
  server_ts: number;
  deleted?: boolean;
}

export interface SendResult {
  message_id: string;
  seq?: number;
  position: number;
  server_ts: number;
}

export type ReceiptStatus = 'delivered' | 'read';

export interface ReceiptEvent {
  conversation_id: string;
  user_id: string;
  status: ReceiptStatus;
  up_to: string;
  position: number;
}

export interface ConversationEvent {
  change: 'created' | 'member_added' | 'member_removed';
  user_id?: string;
  conversation: Conversation | { id: string };
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  current: boolean;
}
