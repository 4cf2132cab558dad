import { useMemo, useState } from 'react';
import { Avatar } from '@/components/ui/Avatar';
import { AlertIcon, BellOffIcon, ChatIcon, SearchIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/Spinner';
import { formatListTime } from '@/lib/format';

export interface ConversationItem {
  id: string;
  title: string;
  isGroup: boolean;
  /** The avatar's colour: the other person's id in a direct chat (the same colour everywhere). */
  avatarSeed: string;
  /** Direct chats: whether the other person is online. */
  online?: boolean;
  preview: string;
  previewMine: boolean;
  time: number | null;
  unread: number;
  typing: string | null;
  keyWarning: boolean;
  /** Muted on this device: no notifications, not in the title's count (the badge is grey). */
  muted: boolean;
  /** Unsent text kept for this conversation (not shown for the open one). */
  draft: string | null;
}

export interface ConversationListProps {
  items: ConversationItem[];
  activeId: string | null;
  loading: boolean;
  onSelect: (id: string) => void;
  onNewChat: () => void;
}

export function ConversationList({ items, activeId, loading, onSelect, onNewChat }: ConversationListProps) {
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => items.filter((i) => i.title.toLowerCase().includes(filter.trim().toLowerCase())), [items, filter]);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="px-3 pt-3 pb-2">
        <label htmlFor="conv-filter" className="sr-only">
          Search conversations
        </label>
        <div className="relative">
          <SearchIcon className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-slate-500" />
          <input
            id="conv-filter"
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Search"
            className="w-full rounded-full border-0 bg-slate-100 py-2 pr-3 pl-9 text-sm text-slate-900 placeholder:text-slate-600 focus:bg-white focus:ring-2 focus:ring-indigo-600 focus:outline-none"
          />
        </div>
      </div>
      <nav aria-label="Conversations" className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {loading && items.length === 0 ? (
          <div className="flex justify-center py-10 text-indigo-600">
            <Spinner label="Loading conversations" />
          </div>
        ) : items.length === 0 ? (
          <div className="flex flex-col items-center px-6 py-12 text-center">
            <span className="rounded-full bg-indigo-50 p-4 text-indigo-600">
              <ChatIcon className="h-7 w-7" />
            </span>
            <p className="mt-3 font-semibold text-slate-800">No conversations yet</p>
            <p className="mt-1 text-sm text-slate-500">Start one with anyone who has a Courier username.</p>
            <button type="button" onClick={onNewChat} className="mt-4 rounded-full bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
              New chat
            </button>
          </div>
        ) : (
          <ul className="space-y-0.5">
            {shown.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  data-testid="conversation"
                  data-title={c.title}
                  aria-current={c.id === activeId ? 'true' : undefined}
                  onClick={() => onSelect(c.id)}
                  className={`flex w-full items-center gap-3 rounded-xl px-3 py-2.5 text-left transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600 ${
                    c.id === activeId ? 'bg-indigo-50' : 'hover:bg-slate-50'
                  }`}
                >
                  <Avatar name={c.title} seed={c.avatarSeed} online={c.isGroup ? undefined : c.online} group={c.isGroup} />
                  <span className="min-w-0 flex-1">
                    <span className="flex items-baseline justify-between gap-2">
                      <span className={`truncate text-sm ${c.unread ? 'font-bold text-slate-900' : 'font-semibold text-slate-800'}`}>
                        {c.title}
                        {/* The row's name is what it shows (WCAG 2.5.3), plus what only the avatar and icons show. */}
                        <span className="sr-only">{`${c.online ? ', online' : ''}${c.muted ? ', muted' : ''}`}</span>
                      </span>
                      {c.time && <span className={`shrink-0 text-xs ${c.unread ? 'font-semibold text-indigo-700' : 'text-slate-600'}`}>{formatListTime(c.time)}</span>}
                    </span>
                    <span className="mt-0.5 flex items-center justify-between gap-2">
                      <span className={`truncate text-sm ${c.typing ? 'text-indigo-600 italic' : c.unread ? 'text-slate-700' : 'text-slate-600'}`}>
                        {c.keyWarning && <AlertIcon className="mr-1 inline h-3.5 w-3.5 text-amber-700" aria-label="Security key changed" />}
                        {c.typing ? (
                          `${c.typing} is typing…`
                        ) : c.draft ? (
                          <span data-testid="draft-preview">
                            <span className="font-semibold text-rose-700">Draft: </span>
                            {c.draft}
                          </span>
                        ) : (
                          `${c.previewMine && c.preview ? 'You: ' : ''}${c.preview}`
                        )}
                      </span>
                      {c.muted && <BellOffIcon className="h-3.5 w-3.5 shrink-0 text-slate-500" data-testid="muted-mark" />}
                      {c.unread > 0 && (
                        <span data-testid="unread-badge" className={`inline-flex min-w-5 shrink-0 items-center justify-center rounded-full px-1.5 py-0.5 text-xs font-bold text-white ${c.muted ? 'bg-slate-600' : 'bg-indigo-600'}`}>
                          {c.unread > 99 ? '99+' : c.unread}
                        </span>
                      )}
                      {c.unread > 0 && <span className="sr-only"> unread</span>}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </nav>
    </div>
  );
}
