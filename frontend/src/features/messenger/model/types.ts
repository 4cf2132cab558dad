//! The messenger's model: what the screens render. Immutable; every change is an event applied by
//! the pure reducers of this folder (`applyEvent`), one slice each.
import type { Delivery, MessageBody } from '@/features/messages';
import type { Conversation, UserRef } from '@/lib/api/types';
import { parseHeader, type ContactStatus, type Envelope } from '@/lib/crypto';
import { SERIES_CONTENT_TYPE } from '@/lib/protocol/constants';
import type { MessageObject } from '@/lib/events/decode';
import type { StreamStatus } from '@/lib/events/event-stream';
import type { Prefs } from './attention';
import type { TransfersState } from './transfers';

/**
 * A telemetry batch (docs/protocol.md §12): the timeline keeps only this summary, never the
 * points (they go to the series listeners, see Messenger.onSeries); the chat shows batches
 * collapsed. `series-refused`: claimed to be a batch but failed to verify (`verified` false) or
 * to parse; never plotted.
 */
export type SeriesBody =
  | { kind: 'series'; stream: string; seq: number; points: number }
  | { kind: 'series-refused'; reason: string; verified: boolean };

/** What a message shows: the messages feature defines the shapes it can render, plus series. */
export type MessageContent = MessageBody | SeriesBody;

export function isSeriesContent(c: MessageContent): c is SeriesBody {
  return c.kind === 'series' || c.kind === 'series-refused';
}

/**
 * Whether a message object claims to be a telemetry batch: its header's content type (the server
 * sees it too, and does not count batches as unread; the claim is checked when the batch opens).
 */
export function claimsSeries(w: MessageObject): boolean {
  return w.header !== undefined && parseHeader(w.header)?.content_type === SERIES_CONTENT_TYPE;
}

export type { Delivery };

export interface ChatMessage {
  id: string;
  conversationId: string;
  senderId: string;
  /** Server order; null until the server has stored it. */
  position: number | null;
  /** The sender's clock (header sent_at) once verified, else the server's. */
  sentAt: number;
  /** `queued`: in the outbox, waiting for the network (effects/outbox.ts); `failed`: refused. */
  local: 'sending' | 'queued' | 'failed' | 'stored';
  /** Why the server refused it (`failed` only). */
  failure?: string;
  content: MessageContent;
  /** Kept to re-verify after a key change is accepted. */
  wire?: MessageObject;
  /** Kept to retry a failed send without sealing again. */
  envelope?: Envelope;
}

/** One conversation's messages (slice `timelines`). */
export interface Timeline {
  messages: ChatMessage[];
  /** History loaded at least once (the newest page). */
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  preview: ChatMessage | null;
  /** Shown from this device's history cache: the newest page is still to be fetched and merged. */
  restored?: boolean;
  /** Changes of members seen live, each shown as a line where it happened. */
  memberNotes?: MemberNote[];
}

/** Someone was added, removed, or left (`by` = `subject`), after message `afterId` (null: before all). */
export interface MemberNote {
  key: string;
  afterId: string | null;
  change: 'member_added' | 'member_removed';
  subject: string;
  /** Who made the change; null from servers that do not say. */
  by: string | null;
}

/** Slice `conversations`: the conversation objects, the list's state and the open one. */
export interface ConversationsState {
  byId: Record<string, Conversation>;
  listLoaded: boolean;
  activeId: string | null;
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

/** conversation id → member id → positions. */
export type ReceiptsState = Record<string, Record<string, ReceiptPositions>>;

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export interface MessengerState {
  me: UserRef;
  conversations: ConversationsState;
  /** conversation id → its messages. */
  timelines: Record<string, Timeline>;
  /** conversation id → user id → typing until (ms). */
  typing: Record<string, Record<string, number>>;
  /** user id → online. */
  presence: Record<string, boolean>;
  receipts: ReceiptsState;
  contacts: Record<string, ContactView>;
  /** conversation id → unsent text stored on this device; null until opened (see drafts.ts). */
  drafts: Record<string, string> | null;
  connection: StreamStatus;
  notice: Notice | null;
  /** This device's preferences: muted conversations, notifications (see attention.ts). */
  prefs: Prefs;
  /** Attachments uploading and downloaded on this device (see transfers.ts). */
  transfers: TransfersState;
}

export function conversationTitle(conv: Conversation, meId: string): string {
  if (conv.kind === 'group') return conv.title || conv.members.filter((m) => m.id !== meId).map((m) => m.username).join(', ') || 'Group';
  return conv.members.find((m) => m.id !== meId)?.username ?? conv.title ?? 'Conversation';
}

export function otherMembers(conv: Conversation, meId: string): UserRef[] {
  return conv.members.filter((m) => m.id !== meId);
}
