import { Fragment, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { InfoIcon, LockIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/Spinner';
import { dayKey, formatDay } from '@/lib/format';
import type { AttachmentAction } from '@/features/attachments';
import { MessageBubble, type MessageItem } from './MessageBubble';

export interface MessageListProps {
  conversationId: string;
  messages: MessageItem[];
  isGroup: boolean;
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onDelete: (id: string) => void;
  onRetry: (id: string) => void;
  onCopy: (text: string) => void;
  onAttachment?: (messageId: string, key: string, action: AttachmentAction) => void;
  /** Shown at the start of the history (e.g. why earlier messages are missing). */
  notice?: string | null;
  /** "N unread messages" before this message; the list opens there instead of at the bottom. */
  divider?: { beforeId: string; count: number } | null;
  /** Lines such as "ben left", each after the message it followed (null: before them all). */
  lines?: TimelineLine[];
  /** The newest message from someone else that is on screen while the page is visible. */
  onSeen?: (id: string) => void;
}

export interface TimelineLine {
  key: string;
  afterId: string | null;
  text: string;
}

function Line({ line }: { line: TimelineLine }) {
  return (
    <p data-testid="member-line" className="my-2 text-center text-xs text-slate-600">
      {line.text}
    </p>
  );
}

/** A message counts as on screen when half of it, or half of the list's height, shows. */
function onScreen(e: IntersectionObserverEntry): boolean {
  if (!e.isIntersecting) return false;
  return e.intersectionRatio >= 0.5 || e.intersectionRect.height >= (e.rootBounds?.height ?? Infinity) / 2;
}
const THRESHOLDS = Array.from({ length: 11 }, (_, i) => i / 10);

/**
 * Keeps the view pinned to the newest message while the reader is at the bottom, and keeps the
 * visible messages in place when an older page is prepended. Opens at the unread divider when
 * there is one; a message from someone else arriving while the reader is scrolled up shows a
 * "New messages ↓" pill instead of moving the view. Reports which messages are really on screen
 * (IntersectionObserver), so that read receipts never name a message the reader has not seen.
 */
export function MessageList({ conversationId, messages, isGroup, loaded, hasOlder, loadingOlder, onLoadOlder, onDelete, onRetry, onCopy, onAttachment, notice, divider, lines = [], onSeen }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const dividerRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prev = useRef({ first: '', last: '', height: 0, conv: '', placed: false });
  const [pill, setPill] = useState(false);
  const seenRef = useRef(onSeen);
  seenRef.current = onSeen;
  const order = useRef(new Map<string, number>());
  order.current = new Map(messages.map((m, i) => [m.id, i]));

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id ?? '';
    const last = messages[messages.length - 1]?.id ?? '';
    const p = prev.current;
    const newConv = p.conv !== conversationId;
    const placed = newConv ? false : p.placed;
    if (!placed && loaded && messages.length > 0) {
      // First view of this conversation: at the first unread message, else at the newest.
      const mark = dividerRef.current;
      if (mark) el.scrollTop += mark.getBoundingClientRect().top - el.getBoundingClientRect().top - 8;
      else el.scrollTop = el.scrollHeight;
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
      setPill(false);
    } else if (newConv) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
      setPill(false);
    } else if (first !== p.first && last === p.last && p.height) {
      el.scrollTop += el.scrollHeight - p.height; // older page prepended
    } else if (atBottom.current || (last !== p.last && messages[messages.length - 1]?.mine)) {
      el.scrollTop = el.scrollHeight;
      setPill(false);
    } else if (last !== p.last && p.last) {
      setPill(true); // a new message from someone else below the view
    }
    prev.current = { first, last, height: el.scrollHeight, conv: conversationId, placed: placed || (loaded && messages.length > 0) };
  }, [messages, conversationId, loaded]);

  // Which messages from others are on screen; reported only while the page is visible.
  const visible = useRef(new Set<string>());
  const observer = useRef<IntersectionObserver | null>(null);
  useEffect(() => {
    const root = scroller.current;
    if (!root || typeof IntersectionObserver !== 'function') return;
    const shown = visible.current;
    const report = () => {
      if (document.visibilityState !== 'visible' || !seenRef.current) return;
      let newest: string | null = null;
      for (const id of shown) if (newest === null || (order.current.get(id) ?? -1) > (order.current.get(newest) ?? -1)) newest = id;
      if (newest) seenRef.current(newest);
    };
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const id = (e.target as HTMLElement).dataset.messageId;
          if (!id) continue;
          if (onScreen(e)) shown.add(id);
          else shown.delete(id);
        }
        report();
      },
      { root, threshold: THRESHOLDS },
    );
    observer.current = io;
    document.addEventListener('visibilitychange', report);
    return () => {
      io.disconnect();
      observer.current = null;
      shown.clear();
      document.removeEventListener('visibilitychange', report);
    };
  }, [conversationId]);
  useEffect(() => {
    const io = observer.current;
    const root = scroller.current;
    if (!io || !root) return;
    root.querySelectorAll<HTMLElement>('[data-testid="message"][data-mine="false"]').forEach((el) => io.observe(el));
  }, [messages, conversationId]);

  function toBottom() {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setPill(false);
  }

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (atBottom.current) setPill(false);
    if (el.scrollTop < 80 && hasOlder && !loadingOlder && loaded) onLoadOlder();
  }

  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      <div ref={scroller} onScroll={onScroll} className="chat-backdrop min-h-0 flex-1 overflow-y-auto px-3 py-4 sm:px-6" role="log" aria-live="polite" aria-label="Messages" tabIndex={0}>
        <div className="mx-auto flex max-w-3xl flex-col">
          {hasOlder && loaded && (
            <div className="mb-2 flex justify-center">
              <button type="button" onClick={onLoadOlder} disabled={loadingOlder} className="inline-flex items-center gap-2 rounded-full bg-white px-3 py-1 text-xs font-medium text-slate-600 shadow-sm ring-1 ring-slate-200 hover:bg-slate-50">
                {loadingOlder && <Spinner className="h-3 w-3" />} Load older messages
              </button>
            </div>
          )}
          {!hasOlder && loaded && (
            <p className="mx-auto mb-3 flex max-w-sm items-center gap-2 rounded-lg bg-amber-50/90 px-3 py-2 text-center text-xs text-amber-800 ring-1 ring-amber-200">
              <LockIcon className="h-3.5 w-3.5 shrink-0" /> Messages are end-to-end encrypted. Only the people in this chat can read them.
            </p>
          )}
          {!hasOlder && loaded && notice && (
            <p data-testid="membership-notice" className="mx-auto mb-3 flex max-w-md items-start gap-2 rounded-lg bg-white/95 px-3 py-2 text-center text-xs text-slate-700 shadow-sm ring-1 ring-slate-200">
              <InfoIcon className="mt-0.5 h-3.5 w-3.5 shrink-0 text-sky-700" />
              <span>{notice}</span>
            </p>
          )}
          {!loaded && (
            <div className="flex justify-center py-8 text-indigo-600">
              <Spinner label="Loading messages" />
            </div>
          )}
          {lines.filter((l) => l.afterId === null || !messages.some((m) => m.id === l.afterId)).map((l) => (
            <Line key={l.key} line={l} />
          ))}
          {messages.map((m, i) => {
            const before = messages[i - 1];
            const newDay = !before || dayKey(before.time) !== dayKey(m.time);
            const firstOfRun = newDay || !before || before.mine !== m.mine || before.senderName !== m.senderName;
            return (
              <Fragment key={m.id}>
                {divider?.beforeId === m.id && (
                  <div ref={dividerRef} className="my-3 flex items-center gap-3" role="separator" aria-label={`${divider.count} unread ${divider.count === 1 ? 'message' : 'messages'}`} data-testid="unread-divider">
                    <span className="h-px flex-1 bg-indigo-300" />
                    <span className="rounded-full bg-indigo-50 px-3 py-1 text-xs font-semibold text-indigo-800 ring-1 ring-indigo-200">
                      {divider.count} unread {divider.count === 1 ? 'message' : 'messages'}
                    </span>
                    <span className="h-px flex-1 bg-indigo-300" />
                  </div>
                )}
                {newDay && (
                  <div className="my-3 flex justify-center" role="separator">
                    <span className="rounded-full bg-white/90 px-3 py-1 text-xs font-medium text-slate-500 shadow-sm ring-1 ring-slate-200">{formatDay(m.time)}</span>
                  </div>
                )}
                <MessageBubble msg={m} showSender={isGroup && firstOfRun} firstOfRun={firstOfRun} onDelete={onDelete} onRetry={onRetry} onCopy={onCopy} onAttachment={onAttachment} />
                {lines.filter((l) => l.afterId === m.id).map((l) => (
                  <Line key={l.key} line={l} />
                ))}
              </Fragment>
            );
          })}
        </div>
      </div>
      {pill && (
        <button
          type="button"
          onClick={toBottom}
          data-testid="new-messages-pill"
          className="absolute bottom-3 left-1/2 -translate-x-1/2 rounded-full bg-indigo-700 px-4 py-1.5 text-sm font-semibold text-white shadow-lg hover:bg-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-700"
        >
          New messages <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}
