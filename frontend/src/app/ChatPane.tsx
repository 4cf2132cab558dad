//! The open conversation: maps the messenger's state onto the messages feature's ChatView, and
//! adds the key-trust parts from the users feature (safety number, verified mark, key-change
//! block). Selects only this conversation's slices. A conversation that carries telemetry
//! (docs/protocol.md §12) gets the series feature's summary line and chart above the chat; its
//! batches are not chat bubbles.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { IconButton } from '@/components/ui/Button';
import { BellIcon, BellOffIcon, ShieldIcon, UsersIcon } from '@/components/ui/icons';
import { ChatView, listMessages, type MessageBody, type MessageItem } from '@/features/messages';
import {
  attachmentViews, conversationTitle, deliveryOf, isSeriesContent, memberNoteText, membershipNotice, otherMembers, seriesRunEnd, seriesSummary, shallowEqual, unreadDivider, useMessenger,
  useMessengerSelector, type ChatMessage,
} from '@/features/messenger';
import { TelemetryChart, TelemetrySummary, type SeriesSource } from '@/features/series';
import { KeyChangeBanner, SafetyNumberDialog, type KeyProblem } from '@/features/users';
import { GroupInfoDialog } from './GroupInfoDialog';

const NO_TYPING: Record<string, number> = {};

/** Mounted once per open conversation (keyed by it): what was read when it opened stays fixed,
 *  so the "N unread messages" divider does not move while the reader reads. */
export function ChatPane({ conversationId }: { conversationId: string }) {
  const { messenger, actions } = useMessenger();
  const me = useMessengerSelector((s) => s.me.id);
  const conv = useMessengerSelector((s) => s.conversations.byId[conversationId]);
  const timeline = useMessengerSelector((s) => s.timelines[conversationId]);
  const typing = useMessengerSelector((s) => s.typing[conversationId] ?? NO_TYPING);
  const receipts = useMessengerSelector((s) => s.receipts[conversationId]);
  const presence = useMessengerSelector((s) => s.presence);
  const connected = useMessengerSelector((s) => s.connection === 'live');
  const contacts = useMessengerSelector((s) => s.contacts);
  const draftsReady = useMessengerSelector((s) => s.drafts !== null);
  const muted = useMessengerSelector((s) => !!s.prefs.muted[conversationId]);
  const transfers = useMessengerSelector((s) => s.transfers);
  const [atOpen] = useState(() => {
    const c = messenger.store.get().conversations.byId[conversationId];
    return { readUpTo: c?.read_up_to ?? 0, lastPosition: c?.last_position ?? 0 };
  });
  const divider = useMemo(() => {
    if (!timeline) return null;
    // Only what was unread when the chat opened: later arrivals are read as they come.
    const upToOpen = { ...timeline, messages: timeline.messages.filter((m) => m.position !== null && m.position <= atOpen.lastPosition && !isSeriesContent(m.content)) };
    return unreadDivider(upToOpen, atOpen.readUpTo, me);
  }, [timeline, atOpen, me]);
  const timelineRef = useRef(timeline);
  timelineRef.current = timeline;
  /** The newest position the list showed (or that was read when the chat opened). */
  const seenRef = useRef(atOpen.readUpTo);
  const onSeen = useCallback(
    (id: string) => {
      const t = timelineRef.current;
      const position = t?.messages.find((m) => m.id === id)?.position;
      if (position && t) {
        seenRef.current = Math.max(seenRef.current, position);
        // Telemetry batches right after it are shown by the summary line: seen too.
        messenger.receipts.seen(conversationId, seriesRunEnd(t, position));
      }
      messenger.attention.seen(conversationId);
    },
    [messenger, conversationId],
  );
  const telemetry = useMessengerSelector((s) => seriesSummary(s.timelines[conversationId]), shallowEqual);
  const hasTelemetry = telemetry.batches + telemetry.refused > 0;
  const [chartOpen, setChartOpen] = useState(true);
  // Batches arrive several times a second: their read receipt goes at most every 2 s.
  const readTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!hasTelemetry || readTimer.current) return;
    readTimer.current = setTimeout(() => {
      readTimer.current = null;
      const t = timelineRef.current;
      if (t) messenger.receipts.seen(conversationId, seriesRunEnd(t, seenRef.current));
    }, 2_000);
  }, [telemetry, hasTelemetry, messenger, conversationId]);
  useEffect(() => () => {
    if (readTimer.current) clearTimeout(readTimer.current);
    readTimer.current = null;
  }, []);
  const seriesSource = useMemo<SeriesSource>(
    () => ({
      subscribe: (listener) => messenger.onSeries((convId, arrivals) => convId === conversationId && listener(arrivals)),
      fetchPage: async (q) => {
        const wires = await listMessages(conversationId, q);
        return { arrivals: await messenger.openSeries(wires), count: wires.length, firstPosition: wires[0]?.position ?? null };
      },
    }),
    [messenger, conversationId],
  );
  const [safetyFor, setSafetyFor] = useState<string | null>(null);
  const [groupInfo, setGroupInfo] = useState(false);
  // Current members first; people who left (or deleted the account) keep the name they had.
  const names = useMemo(
    () => Object.fromEntries([...(conv?.former_members ?? []), ...(conv?.members ?? [])].map((m) => [m.id, m.username])),
    [conv?.members, conv?.former_members],
  );

  const messages: MessageItem[] = useMemo(
    () =>
      !conv || !timeline
        ? []
        : timeline.messages.filter((m): m is ChatMessage & { content: MessageBody } => !isSeriesContent(m.content)).map((m) => ({
            id: m.id,
            mine: m.senderId === me,
            senderName: names[m.senderId] ?? contacts[m.senderId]?.username ?? 'Former member',
            body: m.content,
            time: m.sentAt,
            delivery: m.senderId === me ? deliveryOf(m, conv, me, receipts) : null,
            ...(m.failure ? { failure: m.failure } : {}),
            ...(m.content.kind === 'attachments' ? { attachments: attachmentViews(m, transfers) } : {}),
          })),
    [timeline, me, names, conv, receipts, contacts, transfers],
  );

  if (!conv || !timeline) return null;
  const others = otherMembers(conv, me);
  const isGroup = conv.kind === 'group';
  const title = conversationTitle(conv, me);

  const problems: KeyProblem[] = others
    .map((m) => ({ userId: m.id, username: m.username, kind: contacts[m.id]?.status?.kind }))
    .filter((p): p is KeyProblem => p.kind === 'changed' || p.kind === 'invalid');

  const direct = !isGroup ? others[0] : undefined;
  const directStatus = direct ? contacts[direct.id]?.status : null;
  const verified = directStatus?.kind === 'trusted' && !!directStatus.pin?.verified;
  const onlineCount = others.filter((m) => presence[m.id]).length;
  // While we are offline, nobody's presence is known: say nothing rather than something stale.
  const status = isGroup ? `${conv.members.length} members${onlineCount ? ` · ${onlineCount} online` : ''}` : !connected ? '' : direct && presence[direct.id] ? 'online' : 'offline';
  const typingNames = Object.keys(typing).map((id) => names[id] ?? 'Someone');

  const safetyContact = safetyFor ? contacts[safetyFor] : null;
  const safetyStatus = safetyContact?.status ?? null;

  return (
    <>
      <ChatView
        conversationId={conv.id}
        title={title}
        isGroup={isGroup}
        avatarSeed={direct?.id ?? conv.id}
        online={direct && connected ? !!presence[direct.id] : undefined}
        status={status}
        typingNames={typingNames}
        verified={verified}
        messages={messages}
        loaded={timeline.loaded}
        hasOlder={timeline.hasOlder}
        loadingOlder={timeline.loadingOlder}
        blocker={problems.length ? <KeyChangeBanner problems={problems} onReview={setSafetyFor} /> : undefined}
        unreadDivider={divider}
        onSeen={onSeen}
        banner={
          hasTelemetry ? (
            <>
              <TelemetrySummary batches={telemetry.batches} refused={telemetry.refused} chartOpen={chartOpen} onToggle={() => setChartOpen((o) => !o)} />
              {chartOpen && <TelemetryChart source={seriesSource} senderName={(id) => names[id] ?? contacts[id]?.username ?? 'former member'} />}
            </>
          ) : undefined
        }
        headerActions={
          <>
            <IconButton
              label="Mute this conversation"
              onClick={() => messenger.mute(conv.id, !muted)}
              aria-pressed={muted}
              data-testid="mute-toggle"
              className={muted ? 'text-slate-900' : ''}
            >
              {muted ? <BellOffIcon className="h-5 w-5" /> : <BellIcon className="h-5 w-5" />}
            </IconButton>
            {isGroup ? (
              <IconButton label="Group members and safety numbers" onClick={() => setGroupInfo(true)}>
                <UsersIcon className="h-5 w-5" />
              </IconButton>
            ) : direct ? (
              <IconButton label="View safety number" onClick={() => setSafetyFor(direct.id)} className={verified ? 'text-emerald-700' : ''}>
                <ShieldIcon className="h-5 w-5" />
              </IconButton>
            ) : null}
          </>
        }
        onBack={() => void messenger.open(null)}
        onLoadOlder={() => void messenger.loadOlder(conv.id)}
        onSend={(text, files) => (files.length ? actions.sendAttachments(conv.id, files, text) : actions.send(conv.id, text))}
        onAttachment={(messageId, key, action) => actions.attachment(conv.id, messageId, key, action)}
        onTyping={() => actions.typing(conv.id)}
        onDelete={(id) => actions.remove(conv.id, id)}
        onRetry={(id) => void actions.retry(conv.id, id)}
        draft={draftsReady ? messenger.drafts.get(conv.id) : null}
        historyNotice={membershipNotice(conv, timeline, me, (id) => names[id] ?? contacts[id]?.username)}
        memberLines={(timeline.memberNotes ?? []).map((n) => ({ key: n.key, afterId: n.afterId, text: memberNoteText(n, me, (id) => names[id] ?? contacts[id]?.username) }))}
        onDraftChange={(text) => messenger.drafts.set(conv.id, text)}
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
          conversationId={conv.id}
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
