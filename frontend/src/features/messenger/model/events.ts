//! Everything that can change the model: decoded stream events and the outcomes of effects
//! (network answers, decryption results, user actions). Reducers take these and nothing else;
//! time is passed in (`now`), never read.
import type { Conversation } from '@/lib/api/types';
import type { CourierEvent, MessageObject } from '@/lib/events/decode';
import type { StreamStatus } from '@/lib/events/event-stream';
import type { Prefs } from './attention';
import type { DownloadItem, UploadItem } from './transfers';
import type { ChatMessage, ContactView, MessageContent, Notice, Timeline } from './types';

/** What opening one message gave (content and the sender's signed clock). */
export interface Opened {
  messageId: string;
  content: MessageContent;
  sentAt: number;
}

/** One conversation's messages as the history cache kept them (opened, stored, newest last). */
export type RestoredTimeline = Pick<Timeline, 'messages' | 'preview' | 'loaded' | 'hasOlder'>;

/** Stream events the model applies (`ready` and unknown types change nothing). */
export type StreamModelEvent = Exclude<CourierEvent, { type: 'ready' } | { type: 'unknown' }>;

export type MessengerEvent =
  | { type: 'stream'; event: StreamModelEvent; now: number }
  | { type: 'connection'; status: StreamStatus }
  | { type: 'notice'; notice: Notice | null }
  | { type: 'conversations/listed'; list: Conversation[] }
  | { type: 'conversations/list-failed' }
  | { type: 'conversation/upserted'; conversation: Conversation }
  | { type: 'conversation/removed'; conversationId: string }
  | { type: 'conversation/opened'; conversationId: string | null }
  /** We sent (or are sending) a read receipt up to `position`. */
  | { type: 'conversation/read'; conversationId: string; position: number }
  /** The read receipt failed: back to what it was. */
  | { type: 'conversation/read-reverted'; conversationId: string; readUpTo: number }
  | { type: 'conversation/unread-cleared'; conversationId: string }
  | { type: 'history/loaded'; conversationId: string; hasOlder: boolean }
  /** What this device's history cache held (effects/history-cache.ts), shown before the network answers. */
  | { type: 'history/restored'; conversations: Conversation[]; timelines: Record<string, RestoredTimeline> }
  | { type: 'history/loading-older'; conversationId: string }
  | { type: 'history/older-done'; conversationId: string; hasOlder: boolean | null }
  /** Message objects arrived (placeholders until opened); `live` ones count as unread. */
  | { type: 'messages/arrived'; conversationId: string; wires: MessageObject[]; source: 'history' | 'live' }
  | { type: 'messages/opened'; conversationId: string; opened: Opened[] }
  | { type: 'message/local'; message: ChatMessage }
  | { type: 'message/patched'; conversationId: string; messageId: string; patch: Partial<ChatMessage> }
  | { type: 'message/deleted'; conversationId: string; messageId: string }
  /** An own message that was never sent (every file of it cancelled): gone without a trace. */
  | { type: 'message/dropped'; conversationId: string; messageId: string }
  /** The files of an own attachment message, before they upload. */
  | { type: 'uploads/added'; messageId: string; files: UploadItem[] }
  /** A file's image size and thumbnail, once made. */
  | { type: 'upload/prepared'; messageId: string; localId: string; meta: Pick<UploadItem, 'width' | 'height' | 'thumbnail'> }
  | { type: 'upload/status'; messageId: string; localId: string; status: Pick<UploadItem, 'phase' | 'sent' | 'total' | 'error'> }
  /** A file was cancelled: it leaves the message. */
  | { type: 'upload/removed'; messageId: string; localId: string }
  /** Every file is uploaded: the message now shows its descriptors. */
  | { type: 'uploads/finished'; messageId: string }
  /** A download changed (null: forgotten, back to not fetched). */
  | { type: 'download/changed'; key: string; item: DownloadItem | null }
  | { type: 'typing/expired'; now: number }
  | { type: 'presence/loaded'; online: string[] }
  | { type: 'contact/recorded'; contact: ContactView }
  /** The drafts stored on this device, opened. */
  | { type: 'drafts/loaded'; drafts: Record<string, string> }
  /** A draft was stored ('' = removed). */
  | { type: 'draft/saved'; conversationId: string; text: string }
  /** This device's preferences (loaded, or changed in settings). */
  | { type: 'prefs/changed'; prefs: Prefs }
  | { type: 'conversation/muted'; conversationId: string; muted: boolean };
