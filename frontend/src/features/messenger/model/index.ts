//! The messenger model: `applyEvent(state, event)` runs every slice's pure reducer. No I/O, no
//! crypto, no timers here: effects (../effects) do those and report back as events.
import type { UserRef } from '@/lib/api/types';
import { applyPrefs, defaultPrefs, type Prefs } from './attention';
import { applyConversations } from './conversations';
import { applyDrafts } from './drafts';
import type { MessengerEvent } from './events';
import { applyPresence } from './presence';
import { applyReceipts } from './receipts';
import { applyTimelines } from './timeline';
import { applyTransfers, noTransfers } from './transfers';
import { applyTyping } from './typing';
import type { MessengerState, ReceiptsState } from './types';

export function initialState(me: UserRef, activeId: string | null, receipts: ReceiptsState, prefs: Prefs = defaultPrefs): MessengerState {
  return {
    me,
    conversations: { byId: {}, listLoaded: false, activeId },
    timelines: {},
    typing: {},
    presence: {},
    receipts,
    contacts: {},
    drafts: null,
    connection: 'connecting',
    notice: null,
    prefs,
    transfers: noTransfers,
  };
}

export function applyEvent(s: MessengerState, e: MessengerEvent): MessengerState {
  const next: MessengerState = {
    me: s.me,
    conversations: applyConversations(s.conversations, e, s),
    timelines: applyTimelines(s.timelines, e, s),
    typing: applyTyping(s.typing, e, s),
    presence: applyPresence(s.presence, e),
    receipts: applyReceipts(s.receipts, e),
    contacts: e.type === 'contact/recorded' ? { ...s.contacts, [e.contact.userId]: e.contact } : s.contacts,
    drafts: applyDrafts(s.drafts, e),
    connection: e.type === 'connection' ? e.status : s.connection,
    notice: e.type === 'notice' ? e.notice : s.notice,
    prefs: applyPrefs(s.prefs, e),
    transfers: applyTransfers(s.transfers, e),
  };
  const same = (Object.keys(next) as (keyof MessengerState)[]).every((k) => next[k] === s[k]);
  return same ? s : next;
}

export type { MessengerEvent, Opened, RestoredTimeline, StreamModelEvent } from './events';
export * from './types';
export { deliveryOf, acknowledgeable, receiptTarget } from './receipts';
export { attachmentViews, type DownloadItem, type TransfersState, type UploadItem } from './transfers';
export { seriesRunEnd, seriesSummary, type SeriesSummary } from './series';
export { TYPING_MS } from './typing';
export { memberNoteText, membershipNotice } from './membership';
export { defaultPrefs, documentTitle, notificationFor, readTarget, unreadAfter, unreadDivider, unreadTotal, type NotificationContent, type Prefs } from './attention';
