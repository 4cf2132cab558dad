import { useCallback, useRef, useState, type PointerEvent } from 'react';
import { AlertIcon, MoreIcon } from '@/components/ui/icons';
import { AttachmentList, type AttachmentAction, type AttachmentView } from '@/features/attachments';
import type { AttachmentDescriptor } from '@/lib/crypto';
import { formatTime } from '@/lib/format';
import { MessageMenu, type MenuItem } from './MessageMenu';
import { Ticks, type Delivery } from './Ticks';

/** How long a touch must rest on a message to open its menu. */
const LONG_PRESS_MS = 500;

/** What a message shows. */
export type MessageBody =
  /** `legacy`: a verified v1 message, which is not key-committing (shown with a marker). */
  | { kind: 'text'; text: string; legacy?: boolean }
  /** Verified, but no visible text: no Courier client sends one, so it is flagged. */
  | { kind: 'empty'; legacy?: boolean }
  | { kind: 'pending' }
  | { kind: 'unverified'; reason: string }
  | { kind: 'unsupported'; contentType: string }
  /** Files (docs/protocol.md §11.4), with an optional caption. Empty `attachments` while our own upload. */
  | { kind: 'attachments'; text?: string; attachments: AttachmentDescriptor[] }
  /** Verified, but its attachment content breaks the rules of §11.4: flagged, nothing of it shown. */
  | { kind: 'bad-content'; reason: string }
  | { kind: 'deleted' };

export interface MessageItem {
  id: string;
  mine: boolean;
  senderName: string;
  body: MessageBody;
  time: number;
  delivery: Delivery | null;
  /** Why the server refused an own message (delivery `failed`). */
  failure?: string;
  /** What each attachment shows (for `attachments` messages). */
  attachments?: AttachmentView[];
}

export interface BubbleProps {
  msg: MessageItem;
  showSender: boolean;
  firstOfRun: boolean;
  onDelete: (id: string) => void;
  onRetry: (id: string) => void;
  onCopy: (text: string) => void;
  onAttachment?: (messageId: string, key: string, action: AttachmentAction) => void;
}

/** Decrypted text is rendered as a React text node only: never as HTML. Each message's actions
 *  (copy, delete for everyone) are in a menu: the ⋯ button (shown on hover or focus with a mouse,
 *  always on a touch screen), a long press, or a right click. */
export function MessageBubble({ msg, showSender, firstOfRun, onDelete, onRetry, onCopy, onAttachment }: BubbleProps) {
  const { body, mine } = msg;
  const deletable = mine && body.kind !== 'deleted' && msg.delivery !== 'sending';
  /** Never reached the server (waiting or refused): deleting it only takes it off this device. */
  const unsent = msg.delivery === 'queued' || msg.delivery === 'failed';
  const [menuOpen, setMenuOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const press = useRef<{ timer: ReturnType<typeof setTimeout>; x: number; y: number } | null>(null);
  const items: MenuItem[] = [];
  if (body.kind === 'text') items.push({ label: 'Copy text', onSelect: () => onCopy(body.text) });
  if (body.kind === 'attachments' && body.text) {
    const caption = body.text;
    items.push({ label: 'Copy text', onSelect: () => onCopy(caption) });
  }
  if (deletable) items.push({ label: unsent ? 'Delete (not sent)' : 'Delete for everyone', danger: true, onSelect: () => onDelete(msg.id) });
  const hasMenu = items.length > 0;
  const closeMenu = useCallback((refocus: boolean) => {
    setMenuOpen(false);
    if (refocus) opener.current?.focus();
  }, []);
  const endPress = () => {
    if (press.current) clearTimeout(press.current.timer);
    press.current = null;
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (!hasMenu || e.pointerType === 'mouse') return;
    endPress();
    const timer = setTimeout(() => {
      press.current = null;
      setMenuOpen(true);
    }, LONG_PRESS_MS);
    press.current = { x: e.clientX, y: e.clientY, timer };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const p = press.current;
    if (p && Math.hypot(e.clientX - p.x, e.clientY - p.y) > 10) endPress();
  };
  const menuButton = hasMenu && (
    <button
      ref={opener}
      type="button"
      onClick={() => setMenuOpen((o) => !o)}
      aria-label="Message actions"
      aria-haspopup="menu"
      aria-expanded={menuOpen}
      title="Message actions"
      className={`mx-1 self-center rounded-full p-1.5 text-slate-500 transition-opacity group-focus-within:opacity-100 group-hover:opacity-100 hover:bg-slate-200 hover:text-slate-900 focus-visible:opacity-100 focus-visible:outline-2 focus-visible:outline-indigo-600 pointer-coarse:opacity-100 ${
        menuOpen ? 'opacity-100' : 'opacity-0'
      }`}
    >
      <MoreIcon className="h-4 w-4" />
    </button>
  );
  const shape = mine ? `bg-indigo-600 text-white ${firstOfRun ? 'rounded-2xl rounded-tr-md' : 'rounded-2xl'}` : `bg-white text-slate-900 ring-1 ring-slate-200 ${firstOfRun ? 'rounded-2xl rounded-tl-md' : 'rounded-2xl'}`;
  const failed = mine && msg.delivery === 'failed';
  const special = failed
    ? 'rounded-2xl bg-rose-50 text-slate-900 ring-2 ring-rose-600'
    : body.kind === 'unverified' || body.kind === 'empty' || body.kind === 'bad-content'
      ? 'bg-rose-50 text-rose-900 ring-1 ring-rose-200'
      : body.kind === 'deleted'
        ? 'bg-transparent text-slate-600 ring-1 ring-slate-300 ring-dashed'
        : '';
  const legacy = (body.kind === 'text' || body.kind === 'empty') && body.legacy;
  /** Attachments run to the bubble's edge; the text around them keeps the usual inset. */
  const pad = body.kind === 'attachments' ? 'px-2' : '';
  return (
    <div className={`group relative flex ${mine ? 'justify-end' : 'justify-start'} ${firstOfRun ? 'mt-3' : 'mt-0.5'}`} data-testid="message-row">
      {mine && menuButton}
      <div
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endPress}
        onPointerCancel={endPress}
        onPointerLeave={endPress}
        onContextMenu={(e) => {
          if (!hasMenu) return;
          e.preventDefault();
          endPress();
          setMenuOpen(true);
        }}
        data-testid="message"
        data-mine={mine ? 'true' : 'false'}
        data-kind={body.kind}
        data-message-id={msg.id}
        className={`max-w-[85%] ${body.kind === 'attachments' ? 'px-1.5 pt-1.5 pb-1.5' : 'px-3.5 py-2'} shadow-sm [-webkit-touch-callout:none] pointer-coarse:select-none sm:max-w-[70%] ${special || shape}`}
      >
        {/* Who wrote it, for screen readers in every chat (the visible name is for groups only). */}
        <span className="sr-only" data-testid="message-sender">
          {mine ? 'You' : msg.senderName}:{' '}
        </span>
        {showSender && !mine && (
          <p aria-hidden="true" className={`mb-0.5 text-xs font-semibold text-indigo-700 ${pad}`}>
            {msg.senderName}
          </p>
        )}
        {body.kind === 'text' && <p className="text-[15px] leading-snug break-words whitespace-pre-wrap">{body.text}</p>}
        {body.kind === 'attachments' && (
          <>
            <AttachmentList views={msg.attachments ?? []} mine={mine} onAction={(key, action) => onAttachment?.(msg.id, key, action)} />
            {body.text && (
              <p className="mt-1.5 px-2 text-[15px] leading-snug break-words whitespace-pre-wrap" data-testid="caption">
                {body.text}
              </p>
            )}
          </>
        )}
        {body.kind === 'bad-content' && (
          <p className="flex items-start gap-1.5 text-sm font-medium" title={body.reason} data-testid="bad-content">
            <AlertIcon className="mt-0.5 h-4 w-4 shrink-0 text-rose-600" />
            <span>
              Attachment message could not be read
              <span className="block text-xs font-normal text-rose-700">Its content breaks the rules every Courier app follows. Nothing of it is shown.</span>
            </span>
          </p>
        )}
        {body.kind === 'empty' && (
          <p className="flex items-start gap-1.5 text-sm font-medium" data-testid="empty-message">
            <AlertIcon className="mt-0.5 h-4 w-4 shrink-0 text-rose-600" />
            <span>
              Empty message
              <span className="block text-xs font-normal text-rose-700">It has no text. Courier apps never send one.</span>
            </span>
          </p>
        )}
        {legacy && (
          <p data-testid="legacy-marker" title="Sent with the old v1 envelope: other recipients could have been shown different text." className={`mt-0.5 text-[11px] italic ${mine && !special ? 'text-indigo-100' : 'text-amber-800'}`}>
            legacy v1 — not key-committing
          </p>
        )}
        {body.kind === 'pending' && <p className="text-sm text-slate-500 italic">Decrypting…</p>}
        {body.kind === 'deleted' && <p className="text-sm italic">This message was deleted</p>}
        {body.kind === 'unsupported' && <p className="text-sm italic opacity-80">Unsupported message type ({body.contentType})</p>}
        {body.kind === 'unverified' && (
          <p className="flex items-start gap-1.5 text-sm font-medium" title={body.reason}>
            <AlertIcon className="mt-0.5 h-4 w-4 shrink-0 text-rose-600" />
            <span>
              Could not verify this message
              <span className="block text-xs font-normal text-rose-700">It may have been altered, or the sender’s key changed. It is not shown.</span>
            </span>
          </p>
        )}
        <p className={`mt-0.5 flex items-center justify-end gap-1 text-[11px] ${pad} ${mine && !special ? 'text-indigo-100' : 'text-slate-600'}`}>
          <time dateTime={new Date(msg.time).toISOString()}>{formatTime(msg.time)}</time>
          {mine && msg.delivery && body.kind !== 'deleted' && !failed && <Ticks delivery={msg.delivery} />}
        </p>
        {failed && (
          <div className={`mt-1.5 border-t border-rose-200 pt-1.5 ${pad}`} data-testid="not-sent">
            <p className="flex items-start gap-1.5 text-sm font-semibold text-rose-800">
              <AlertIcon className="mt-0.5 h-4 w-4 shrink-0" />
              <span>
                Not sent
                {msg.failure && <span className="block text-xs font-normal text-rose-800">{msg.failure}</span>}
              </span>
            </p>
            <div className="mt-1 flex justify-end gap-3 text-xs font-semibold">
              <button type="button" onClick={() => onRetry(msg.id)} className="rounded px-1 text-indigo-700 underline underline-offset-2 hover:text-indigo-900 focus-visible:outline-2 focus-visible:outline-indigo-600">
                Retry
              </button>
              <button type="button" onClick={() => onDelete(msg.id)} className="rounded px-1 text-rose-800 underline underline-offset-2 hover:text-rose-950 focus-visible:outline-2 focus-visible:outline-rose-600">
                Delete
              </button>
            </div>
          </div>
        )}
      </div>
      {!mine && menuButton}
      {menuOpen && hasMenu && <MessageMenu items={items} align={mine ? 'right' : 'left'} onClose={closeMenu} />}
    </div>
  );
}
