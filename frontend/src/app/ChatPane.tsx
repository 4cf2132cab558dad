//! The open conversation: maps the view state onto the messages feature's ChatView, and adds
//! the key-trust parts from the users feature (safety number, verified mark, key-change block).

import { useMemo, useState } from 'react';
import { IconButton } from '@/components/ui/Button';
import { ShieldIcon, UsersIcon } from '@/components/ui/icons';
import { ChatView } from '@/features/messages/components/ChatView';
import type { MessageItem } from '@/features/messages/components/MessageBubble';
import { KeyChangeBanner, type KeyProblem } from '@/features/users/components/KeyChangeBanner';
import { SafetyNumberDialog } from '@/features/users/components/SafetyNumberDialog';
import { GroupInfoDialog } from './GroupInfoDialog';
import { deliveryOf } from './messenger/receipts';
import { conversationTitle, otherMembers, type ConversationView } from './messenger/types';
import { useMessenger, useMessengerState } from './useMessenger';

export function ChatPane({ view }: { view: ConversationView }) {
  const { messenger, actions } = useMessenger();
  const state = useMessengerState();
  const [safetyFor, setSafetyFor] = useState<string | null>(null);
  const [groupInfo, setGroupInfo] = useState(false);
  const { conv } = view;
  const me = state.me.id;
  const others = otherMembers(conv, me);
  const isGroup = conv.kind === 'group';
  const title = conversationTitle(conv, me);
  const names = useMemo(() => Object.fromEntries(conv.members.map((m) => [m.id, m.username])), [conv.members]);

  const messages: MessageItem[] = useMemo(
    () =>
      view.messages.map((m) => ({
        id: m.id,
        mine: m.senderId === me,
        senderName: names[m.senderId] ?? state.contacts[m.senderId]?.username ?? 'Former member',
        body: m.content,
        time: m.sentAt,
        delivery: m.senderId === me ? deliveryOf(m, conv, me, state.receipts[conv.id]) : null,
      })),
    [view.messages, me, names, conv, state.receipts, state.contacts],
  );

  const problems: KeyProblem[] = others
    .map((m) => ({ userId: m.id, username: m.username, kind: state.contacts[m.id]?.status?.kind }))
    .filter((p): p is KeyProblem => p.kind === 'changed' || p.kind === 'invalid');

  const direct = !isGroup ? others[0] : undefined;
  const directStatus = direct ? state.contacts[direct.id]?.status : null;
  const verified = directStatus?.kind === 'trusted' && !!directStatus.pin?.verified;
  const onlineCount = others.filter((m) => state.online[m.id]).length;
  const status = isGroup ? `${conv.members.length} members${onlineCount ? ` · ${onlineCount} online` : ''}` : direct && state.online[direct.id] ? 'online' : 'offline';
  const typingNames = Object.keys(view.typing).map((id) => names[id] ?? 'Someone');

  const safetyContact = safetyFor ? state.contacts[safetyFor] : null;
  const safetyStatus = safetyContact?.status ?? null;

  return (
    <>
      <ChatView
        conversationId={conv.id}
        title={title}
        isGroup={isGroup}
        online={direct ? !!state.online[direct.id] : undefined}
        status={status}
        typingNames={typingNames}
        verified={verified}
        messages={messages}
        loaded={view.loaded}
        hasOlder={view.hasOlder}
        loadingOlder={view.loadingOlder}
        blocker={problems.length ? <KeyChangeBanner problems={problems} onReview={setSafetyFor} /> : undefined}
        headerActions={
          isGroup ? (
            <IconButton label="Group members and safety numbers" onClick={() => setGroupInfo(true)}>
              <UsersIcon className="h-5 w-5" />
            </IconButton>
          ) : direct ? (
            <IconButton label="View safety number" onClick={() => setSafetyFor(direct.id)} className={verified ? 'text-emerald-600' : ''}>
              <ShieldIcon className="h-5 w-5" />
            </IconButton>
          ) : null
        }
        onBack={() => void messenger.open(null)}
        onLoadOlder={() => void messenger.loadOlder(conv.id)}
        onSend={(text) => actions.send(conv.id, text)}
        onTyping={() => actions.typing(conv.id)}
        onDelete={(id) => actions.remove(conv.id, id)}
        onRetry={(id) => void actions.retry(conv.id, id)}
      />
      {safetyFor && (
        <SafetyNumberDialog
          username={safetyContact?.username ?? names[safetyFor] ?? 'Contact'}
          safetyNumber={messenger.contacts.safetyNumber(safetyFor, messenger.myFingerprint, safetyStatus?.kind === 'changed' ? 'offered' : 'pinned')}
          verified={safetyStatus?.kind === 'trusted' && !!safetyStatus.pin?.verified}
          changed={safetyStatus?.kind === 'changed'}
          invalidReason={safetyStatus?.kind === 'invalid' ? safetyStatus.reason : undefined}
          onVerify={(v) => actions.setVerified(safetyFor, v)}
          onAccept={() => actions.acceptKeyChange(safetyFor)}
          onClose={() => setSafetyFor(null)}
        />
      )}
      {groupInfo && (
        <GroupInfoDialog
          view={view}
          onClose={() => setGroupInfo(false)}
          onShowSafety={(id) => {
            setGroupInfo(false);
            setSafetyFor(id);
          }}
        />
      )}
    </>
  );
}
