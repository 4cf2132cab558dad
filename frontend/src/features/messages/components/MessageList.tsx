import { Fragment, useLayoutEffect, useRef } from 'react';
import { InfoIcon, LockIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/Spinner';
import { dayKey, formatDay } from '@/lib/format';
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
  /** Shown at the start of the history (e.g. why earlier messages are missing). */
  notice?: string | null;
}

/**
 * Keeps the view pinned to the newest message while the reader is at the bottom, and keeps the
 * visible messages in place when an older page is prepended.
 */
export function MessageList({ conversationId, messages, isGroup, loaded, hasOlder, loadingOlder, onLoadOlder, onDelete, onRetry, onCopy, notice }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prev = useRef({ first: '', last: '', height: 0, conv: '' });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id ?? '';
    const last = messages[messages.length - 1]?.id ?? '';
    const p = prev.current;
    if (p.conv !== conversationId) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    } else if (first !== p.first && last === p.last && p.height) {
      el.scrollTop += el.scrollHeight - p.height; // older page prepended
    } else if (atBottom.current || (last !== p.last && messages[messages.length - 1]?.mine)) {
      el.scrollTop = el.scrollHeight;
    }
    prev.current = { first, last, height: el.scrollHeight, conv: conversationId };
  }, [messages, conversationId]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < 80 && hasOlder && !loadingOlder && loaded) onLoadOlder();
  }

  return (
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
        {messages.map((m, i) => {
          const before = messages[i - 1];
          const newDay = !before || dayKey(before.time) !== dayKey(m.time);
          const firstOfRun = newDay || !before || before.mine !== m.mine || before.senderName !== m.senderName;
          return (
            <Fragment key={m.id}>
              {newDay && (
                <div className="my-3 flex justify-center" role="separator">
                  <span className="rounded-full bg-white/90 px-3 py-1 text-xs font-medium text-slate-500 shadow-sm ring-1 ring-slate-200">{formatDay(m.time)}</span>
                </div>
              )}
              <MessageBubble msg={m} showSender={isGroup && firstOfRun} firstOfRun={firstOfRun} onDelete={onDelete} onRetry={onRetry} onCopy={onCopy} />
            </Fragment>
          );
        })}
      </div>
    </div>
  );
}
