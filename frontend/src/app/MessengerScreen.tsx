//! The signed-in layout: conversation list beside the open chat (one at a time on a narrow
//! screen), the connection banner, and the dialogs. Features are composed here, never inside
//! each other. Each part selects only the state it shows.

import { useEffect, useState, type ReactNode } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Avatar } from '@/components/ui/Avatar';
import { IconButton } from '@/components/ui/Button';
import { ChatIcon, Logo, PlusIcon, SettingsIcon, UsersIcon, LockIcon } from '@/components/ui/icons';
import { SettingsDialog } from '@/features/account';
import type { UnlockedSession } from '@/features/auth';
import { ConversationList, NewChatDialog, NewGroupDialog, type ConversationItem } from '@/features/conversations';
import { conversationTitle, otherMembers, shallowEqual, useMessenger, useMessengerSelector, type ChatMessage, type MessengerState } from '@/features/messenger';
import { attachmentSummary } from '@/features/attachments';
import { describeError } from '@/lib/api/errors';
import type { KdfParams } from '@/lib/crypto';
import { ChatPane } from './ChatPane';
import { NotificationSettings } from './NotificationSettings';

function previewText(m: ChatMessage | null, s: MessengerState): string {
  if (!m) return '';
  switch (m.content.kind) {
    case 'text':
      return m.content.text.replace(/\s+/g, ' ');
    case 'deleted':
      return 'Message deleted';
    case 'attachments':
      // While they upload, the files are in the transfers slice; then in the content.
      return attachmentSummary(m.content.attachments.length ? m.content.attachments : (s.transfers.uploads[m.id] ?? []), m.content.text);
    case 'bad-content':
    case 'unverified':
      return '⚠ Could not verify message';
    case 'pending':
      return 'Encrypted message';
    case 'series':
      return 'Telemetry';
    case 'series-refused':
      return '⚠ Telemetry batch refused';
    default:
      return 'Unsupported message';
  }
}

function activity(s: MessengerState, id: string): number {
  const conv = s.conversations.byId[id];
  const t = Date.parse(conv.last_activity_at || conv.created_at);
  const last = s.timelines[id]?.preview?.sentAt ?? 0;
  return Math.max(Number.isNaN(t) ? 0 : t, last);
}

/** The list's rows, newest activity first. */
function listItems(s: MessengerState): ConversationItem[] {
  const ids = Object.keys(s.conversations.byId).sort((a, b) => activity(s, b) - activity(s, a));
  return ids.map((id) => {
    const conv = s.conversations.byId[id];
    const preview = s.timelines[id]?.preview ?? null;
    const others = otherMembers(conv, s.me.id);
    const typingId = Object.keys(s.typing[id] ?? {})[0];
    return {
      id,
      title: conversationTitle(conv, s.me.id),
      isGroup: conv.kind === 'group',
      avatarSeed: conv.kind === 'direct' ? (others[0]?.id ?? id) : id,
      online: conv.kind === 'direct' && s.connection === 'live' ? !!(others[0] && s.presence[others[0].id]) : undefined,
      preview: previewText(preview, s),
      previewMine: preview?.senderId === s.me.id,
      time: preview?.sentAt ?? (Date.parse(conv.last_activity_at) || null),
      unread: conv.unread_count ?? 0,
      typing: typingId ? (conv.members.find((m) => m.id === typingId)?.username ?? 'Someone') : null,
      keyWarning: others.some((m) => ['changed', 'invalid'].includes(s.contacts[m.id]?.status?.kind ?? '')),
      muted: !!s.prefs.muted[id],
      draft: id !== s.conversations.activeId && s.drafts?.[id] ? s.drafts[id].replace(/\s+/g, ' ') : null,
    };
  });
}

const sameItems = (a: ConversationItem[], b: ConversationItem[]) => a.length === b.length && a.every((x, i) => shallowEqual(x, b[i]));

type DialogName = 'chat' | 'group' | 'settings' | null;

export interface MessengerScreenProps {
  session: UnlockedSession;
  onSignOut: () => void;
  /** Lock now: keys dropped from memory, every tab asks for the password. */
  onLock: () => void;
  /** Settings → This device (keep unlocked, idle lock), composed by the app. */
  deviceSettings?: ReactNode;
  onDeleted: () => void;
  onPasswordChanged: (next: { kdf: KdfParams; salt: string; wrappedUserKey: string }) => void;
}

export function MessengerScreen({ session, onSignOut, onLock, deviceSettings, onDeleted, onPasswordChanged }: MessengerScreenProps) {
  const { messenger, actions } = useMessenger();
  const me = useMessengerSelector((s) => s.me);
  const items = useMessengerSelector(listItems, sameItems);
  const activeId = useMessengerSelector((s) => (s.conversations.activeId && s.conversations.byId[s.conversations.activeId] ? s.conversations.activeId : null));
  const selectedId = useMessengerSelector((s) => s.conversations.activeId);
  const listLoaded = useMessengerSelector((s) => s.conversations.listLoaded);
  const connection = useMessengerSelector((s) => s.connection);
  const notice = useMessengerSelector((s) => s.notice);
  const [dialog, setDialog] = useState<DialogName>(null);
  const offline = connection === 'offline';

  // After sign-in or unlock the form that had focus is gone: focus lands in the app instead of
  // on the page (WCAG 2.4.3): the open chat's composer, else the conversation filter.
  useEffect(() => {
    if (document.activeElement && document.activeElement !== document.body) return;
    (document.getElementById('composer') ?? document.getElementById('conv-filter'))?.focus();
  }, []);

  return (
    <div className="flex h-dvh flex-col bg-slate-100">
      {offline && (
        <div role="status" data-testid="connection-banner" className="bg-amber-800 px-4 py-1.5 text-center text-sm font-medium text-white">
          Connection lost. Reconnecting… Messages you missed will appear when you are back online.
        </div>
      )}
      <div className="mx-auto flex min-h-0 w-full max-w-7xl flex-1 overflow-hidden bg-white shadow-xl xl:my-4 xl:rounded-2xl xl:ring-1 xl:ring-slate-200">
        <aside className={`min-h-0 w-full flex-col border-r border-slate-200 md:flex md:w-80 lg:w-96 ${activeId ? 'hidden' : 'flex'}`} aria-label="Sidebar">
          <header className="flex items-center gap-2 border-b border-slate-100 px-3 py-3">
            <Logo className="h-8 w-8" />
            <h1 className="flex-1 text-lg font-bold tracking-tight text-slate-900">Courier</h1>
            <IconButton label="New chat" onClick={() => setDialog('chat')}>
              <PlusIcon className="h-5 w-5" />
            </IconButton>
            <IconButton label="New group" onClick={() => setDialog('group')}>
              <UsersIcon className="h-5 w-5" />
            </IconButton>
            <IconButton label="Settings" onClick={() => setDialog('settings')}>
              <SettingsIcon className="h-5 w-5" />
            </IconButton>
          </header>
          {notice && (
            <div className="px-3 pt-3">
              <Alert
                tone={notice.kind === 'error' ? 'error' : 'info'}
                action={
                  <button type="button" className="text-xs font-semibold underline" onClick={() => messenger.notify('info', null)}>
                    Dismiss
                  </button>
                }
              >
                {notice.text}
              </Alert>
            </div>
          )}
          <ConversationList items={items} activeId={selectedId} loading={!listLoaded} onSelect={(id) => void messenger.open(id)} onNewChat={() => setDialog('chat')} />
          <footer className="flex items-center gap-3 border-t border-slate-100 px-4 py-3">
            <Avatar name={me.username} seed={me.id} size="sm" online={connection === 'live'} />
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-semibold text-slate-800" data-testid="me">
                {me.username}
              </p>
              <p className="text-xs text-slate-500" data-testid="connection-status">
                {connection === 'live' ? 'Connected' : connection === 'offline' ? 'Offline' : 'Connecting…'}
              </p>
            </div>
          </footer>
        </aside>
        <main className={`min-h-0 min-w-0 flex-1 flex-col ${activeId ? 'flex' : 'hidden md:flex'}`}>
          {activeId ? (
            <ChatPane key={activeId} conversationId={activeId} />
          ) : (
            <div className="chat-backdrop flex flex-1 flex-col items-center justify-center px-6 text-center">
              <span className="rounded-full bg-white p-5 text-indigo-600 shadow-sm ring-1 ring-slate-200">
                <ChatIcon className="h-9 w-9" />
              </span>
              <p className="mt-4 text-lg font-semibold text-slate-800">Select a conversation</p>
              <p className="mt-1 flex items-center gap-1 text-sm text-slate-500">
                <LockIcon className="h-3.5 w-3.5" /> Every message is encrypted on your device before it is sent.
              </p>
            </div>
          )}
        </main>
      </div>
      {dialog === 'chat' && (
        <NewChatDialog
          onClose={() => setDialog(null)}
          onStart={async (u) => {
            await actions.startDirect(u).catch((e: unknown) => Promise.reject(new Error(describeError(e))));
            setDialog(null);
          }}
        />
      )}
      {dialog === 'group' && (
        <NewGroupDialog
          onClose={() => setDialog(null)}
          onCreate={async (title, names) => {
            await actions.createGroup(title, names).catch((e: unknown) => Promise.reject(new Error(describeError(e))));
            setDialog(null);
          }}
        />
      )}
      {dialog === 'settings' && (
        <SettingsDialog
          username={me.username}
          fingerprint={messenger.myFingerprint}
          passwordContext={{ username: me.username, kdf: session.device.kdf, salt: session.device.salt, wrappedUserKey: session.device.keys.wrapped_user_key }}
          onPasswordChanged={onPasswordChanged}
          onLogout={onSignOut}
          onLock={onLock}
          device={deviceSettings}
          onDeleted={onDeleted}
          onClose={() => setDialog(null)}
          notifications={<NotificationSettings />}
        />
      )}
    </div>
  );
}
