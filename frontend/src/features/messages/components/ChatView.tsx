import { useEffect, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { Avatar } from '@/components/ui/Avatar';
import { Button, IconButton } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { BackIcon, PaperclipIcon, ShieldIcon } from '@/components/ui/icons';
import { admitFiles, MAX_FILES, type AttachmentAction, type PendingFile } from '@/features/attachments';
import { Composer } from './Composer';
import { MessageList, type TimelineLine } from './MessageList';
import type { MessageItem } from './MessageBubble';

export interface ChatViewProps {
  conversationId: string;
  title: string;
  isGroup: boolean;
  /** The avatar's colour: the other person's id in a direct chat (the same colour everywhere). */
  avatarSeed: string;
  online?: boolean;
  /** Status line under the title (online, members…), replaced by typing. */
  status: string;
  typingNames: string[];
  verified: boolean;
  messages: MessageItem[];
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Replaces the composer when sending is blocked (key change). */
  blocker?: ReactNode;
  headerActions?: ReactNode;
  /** Between the header and the messages (e.g. the telemetry summary and chart). */
  banner?: ReactNode;
  onBack: () => void;
  onLoadOlder: () => void;
  /** Sends the text, or the files with the text as their caption. */
  onSend: (text: string, files: File[]) => Promise<void>;
  onAttachment?: (messageId: string, key: string, action: AttachmentAction) => void;
  onTyping: () => void;
  onDelete: (id: string) => Promise<void>;
  onRetry: (id: string) => void;
  /** The stored draft for this conversation; null while drafts are being opened. */
  draft: string | null;
  onDraftChange: (text: string) => void;
  /** At the start of the history: e.g. "You were added … earlier messages are not available". */
  historyNotice?: string | null;
  /** Where the "N unread messages" divider goes (fixed when the chat was opened). */
  unreadDivider?: { beforeId: string; count: number } | null;
  /** "ben left", "ann added cat": where each happened. */
  memberLines?: TimelineLine[];
  /** The newest message from someone else on screen (for read receipts). */
  onSeen?: (id: string) => void;
}

function typingText(names: string[]): string {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');

export function ChatView(p: ChatViewProps) {
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  /** The message to delete never reached the server (waiting or refused). */
  const unsent = ['queued', 'failed'].includes(p.messages.find((m) => m.id === confirmDelete)?.delivery ?? '');
  const [files, setFiles] = useState<PendingFile[]>([]);
  const [fileNotice, setFileNotice] = useState<string | null>(null);
  const [dropping, setDropping] = useState(false);
  const dragDepth = useRef(0);
  const canAttach = !p.blocker && p.draft !== null;
  const addFiles = (picked: File[]) => {
    setFiles((cur) => {
      const { files: next, refused } = admitFiles(cur, picked.map((file) => ({ id: crypto.randomUUID(), file })));
      setFileNotice(refused ? `At most ${MAX_FILES} files per message: ${refused} ${refused === 1 ? 'was' : 'were'} left out.` : null);
      return next;
    });
  };
  const removeFile = (id: string) => {
    setFiles((cur) => cur.filter((f) => f.id !== id));
    setFileNotice(null);
  };
  const send = async (text: string, picked: File[]) => {
    setFiles([]);
    setFileNotice(null);
    await p.onSend(text, picked);
  };
  // A file dropped anywhere else in the window must not make the browser leave the app to show it.
  useEffect(() => {
    const guard = (e: globalThis.DragEvent) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', guard);
    window.addEventListener('drop', guard);
    return () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    };
  }, []);
  const drag = {
    onDragEnter: (e: DragEvent) => {
      if (!canAttach || !hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current += 1;
      setDropping(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!canAttach || !hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: () => {
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDropping(false);
    },
    onDrop: (e: DragEvent) => {
      dragDepth.current = 0;
      setDropping(false);
      if (!canAttach || !hasFiles(e)) return;
      e.preventDefault();
      const dropped = Array.from(e.dataTransfer.files);
      if (dropped.length) addFiles(dropped);
    },
  };
  const [toast, setToast] = useState<string | null>(null);
  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(null), 2_500);
    return () => clearTimeout(t);
  }, [toast]);
  const copy = (text: string) => {
    navigator.clipboard.writeText(text).then(
      () => setToast('Copied to the clipboard'),
      () => setToast('Could not copy: the browser did not allow it'),
    );
  };
  const typing = p.typingNames.length > 0;
  return (
    <section className="relative flex min-h-0 min-w-0 flex-1 flex-col bg-slate-50" aria-label={`Conversation with ${p.title}`} data-testid="conversation-pane" {...drag}>
      {dropping && (
        <div className="pointer-events-none absolute inset-2 z-20 flex items-center justify-center rounded-2xl border-2 border-dashed border-indigo-400 bg-indigo-50/90 text-indigo-800" data-testid="drop-zone">
          <span className="flex items-center gap-2 text-base font-semibold">
            <PaperclipIcon className="h-5 w-5" /> Drop files to attach them
          </span>
        </div>
      )}
      <header className="flex items-center gap-2 border-b border-slate-200 bg-white/95 px-2 py-2 backdrop-blur sm:px-4">
        <IconButton label="Back to conversations" onClick={p.onBack} className="md:hidden">
          <BackIcon className="h-5 w-5" />
        </IconButton>
        <Avatar name={p.title} seed={p.avatarSeed} online={p.isGroup ? undefined : p.online} group={p.isGroup} />
        <div className="min-w-0 flex-1 pl-1">
          <h2 className="flex items-center gap-1.5 truncate text-base font-semibold text-slate-900">
            <span className="truncate" data-testid="chat-title">{p.title}</span>
            {p.verified && (
              <span title="Safety number verified" className="text-emerald-600" data-testid="verified-mark">
                <ShieldIcon className="h-4 w-4" />
                <span className="sr-only">Verified</span>
              </span>
            )}
          </h2>
          <p className={`truncate text-xs ${typing ? 'font-medium text-indigo-600' : 'text-slate-500'}`} aria-live="polite" data-testid="chat-status">
            {typing ? typingText(p.typingNames) : p.status}
          </p>
        </div>
        {p.headerActions}
      </header>
      {p.banner}
      <MessageList
        conversationId={p.conversationId}
        messages={p.messages}
        isGroup={p.isGroup}
        loaded={p.loaded}
        hasOlder={p.hasOlder}
        loadingOlder={p.loadingOlder}
        onLoadOlder={p.onLoadOlder}
        onDelete={setConfirmDelete}
        onRetry={p.onRetry}
        onCopy={copy}
        onAttachment={p.onAttachment}
        notice={p.historyNotice}
        divider={p.unreadDivider}
        lines={p.memberLines}
        onSeen={p.onSeen}
      />
      <div role="status" aria-live="polite" className="pointer-events-none relative">
        {toast && (
          <span data-testid="toast" className="absolute bottom-2 left-1/2 -translate-x-1/2 rounded-full bg-slate-900/90 px-3 py-1.5 text-xs font-medium text-white shadow">
            {toast}
          </span>
        )}
      </div>
      {typing && (
        <div className="flex items-center gap-2 bg-slate-50 px-5 pb-1 text-xs text-slate-500" data-testid="typing-indicator">
          <span className="typing-dots inline-flex gap-0.5" aria-hidden="true">
            <span /> <span /> <span />
          </span>
          {typingText(p.typingNames)}
        </div>
      )}
      {p.blocker ??
        (p.draft !== null && (
          <Composer
            key={p.conversationId}
            initialText={p.draft}
            onTextChange={p.onDraftChange}
            onSend={send}
            onTyping={p.onTyping}
            placeholder={`Message ${p.title}`}
            files={files}
            onAddFiles={addFiles}
            onRemoveFile={removeFile}
            fileNotice={fileNotice}
          />
        ))}
      {confirmDelete && (
        <Dialog title={unsent ? 'Delete this message?' : 'Delete for everyone?'} onClose={() => setConfirmDelete(null)}>
          <p className="text-sm text-slate-600">{unsent ? 'It was not sent: it is removed from this device.' : 'The message will be removed for everyone in this conversation.'}</p>
          <div className="mt-5 flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirmDelete(null)}>
              Cancel
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                const id = confirmDelete;
                setConfirmDelete(null);
                void p.onDelete(id);
              }}
            >
              Delete
            </Button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
