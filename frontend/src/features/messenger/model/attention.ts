//! Telling people when something happens, as pure decisions: the device's preferences (muted
//! conversations, desktop notifications, hiding sender and content), the unread total in the tab
//! title, whether a message deserves a desktop notification and what it may say, where the
//! "N unread messages" divider goes, and how far a read receipt may go (only what was on screen).
//!
//! Policy: a muted conversation never notifies and is not counted in the title; the conversation
//! that is open *and* visible never notifies (the person is looking at it); with "hide content"
//! a notification says only "New message", never who wrote it or what. Pure.
import { attachmentSummary } from '@/features/attachments';
import type { MessengerEvent } from './events';
import { acknowledgeable } from './receipts';
import { newestFrom } from './timeline';
import { claimsSeries, conversationTitle, isSeriesContent, type ChatMessage, type MessengerState, type Timeline } from './types';

/** Per user, kept on this device only (effects/prefs.ts). */
export interface Prefs {
  /** conversation id → muted. */
  muted: Record<string, true>;
  /** Desktop notifications wanted on this device (the browser permission is asked separately). */
  notify: boolean;
  /** Notifications say "New message" only: no sender, no conversation, no text. */
  hideContent: boolean;
}

export const defaultPrefs: Prefs = { muted: {}, notify: false, hideContent: false };

export function applyPrefs(s: Prefs, e: MessengerEvent): Prefs {
  switch (e.type) {
    case 'prefs/changed':
      return e.prefs;
    case 'conversation/muted': {
      if (!!s.muted[e.conversationId] === e.muted) return s;
      const { [e.conversationId]: _old, ...rest } = s.muted;
      return { ...s, muted: e.muted ? { ...rest, [e.conversationId]: true } : rest };
    }
    default:
      return s;
  }
}

/** Unread messages over every conversation that is not muted. */
export function unreadTotal(s: MessengerState): number {
  let total = 0;
  for (const c of Object.values(s.conversations.byId)) if (!s.prefs.muted[c.id]) total += c.unread_count ?? 0;
  return total;
}

/** The tab title: "(3) Courier", or "Courier" when nothing is unread. */
export function documentTitle(unread: number, base = 'Courier'): string {
  return unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${base}` : base;
}

export interface NotificationContent {
  title: string;
  body: string;
  /** One notification per conversation (a newer one replaces it); never the id when content is hidden. */
  tag: string;
}

export interface NotifyContext {
  /** The page is visible (document.visibilityState === 'visible'). */
  visible: boolean;
  /** The browser permission is granted. */
  permitted: boolean;
}

/**
 * The desktop notification for a message that just arrived live and was opened, or null: not
 * wanted, not permitted, muted, our own, the conversation open in a visible page, deleted, or
 * not a message from a known conversation.
 */
export function notificationFor(s: MessengerState, m: ChatMessage, ctx: NotifyContext): NotificationContent | null {
  const conv = s.conversations.byId[m.conversationId];
  if (!conv || !s.prefs.notify || !ctx.permitted) return null;
  if (m.senderId === s.me.id || s.prefs.muted[conv.id]) return null;
  if (ctx.visible && s.conversations.activeId === conv.id) return null;
  // Telemetry batches arrive several times a second: the chart shows them, nothing notifies.
  if (m.content.kind === 'series' || m.content.kind === 'series-refused') return null;
  if (m.content.kind === 'deleted' || (m.position !== null && m.position <= (conv.read_up_to ?? 0))) return null; // already read elsewhere
  if (s.prefs.hideContent) return { title: 'Courier', body: 'New message', tag: 'courier-message' };
  const sender = conv.members.find((u) => u.id === m.senderId)?.username ?? s.contacts[m.senderId]?.username ?? 'Someone';
  const title = conv.kind === 'group' ? `${sender} in ${conversationTitle(conv, s.me.id)}` : sender;
  const body =
    m.content.kind === 'text'
      ? clip(m.content.text.replace(/\s+/g, ' ').trim(), 200)
      : m.content.kind === 'attachments'
        ? clip(attachmentSummary(m.content.attachments, m.content.text), 200)
        : 'New message';
  return { title, body, tag: `courier-${conv.id}` };
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** Messages from others that count as unread (deleted ones and telemetry batches do not). */
export function unreadFromOthers(m: ChatMessage, meId: string, readUpTo: number): boolean {
  if (isSeriesContent(m.content) || (m.wire && claimsSeries(m.wire))) return false;
  return m.senderId !== meId && m.position !== null && m.position > readUpTo && m.content.kind !== 'deleted';
}

/** Where the "N unread messages" divider goes when a chat is opened with `readUpTo` read. */
export function unreadDivider(t: Timeline, readUpTo: number, meId: string): { beforeId: string; count: number } | null {
  const unread = t.messages.filter((m) => unreadFromOthers(m, meId, readUpTo));
  return unread.length ? { beforeId: unread[0].id, count: unread.length } : null;
}

/** Unread messages from others left after reading up to `position` (for the list's badge). */
export function unreadAfter(t: Timeline | undefined, position: number, meId: string): number {
  return t ? t.messages.filter((m) => unreadFromOthers(m, meId, position)).length : 0;
}

/**
 * What a read receipt may name: the newest verified message from someone else that was on
 * screen (position up to `seenUpTo`). Never a message that was not shown.
 */
export function readTarget(t: Timeline, meId: string, seenUpTo: number): ChatMessage | null {
  return newestFrom(t, (m) => m.senderId !== meId && acknowledgeable(m) && (m.position ?? Infinity) <= seenUpTo);
}
