import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Avatar } from '@/components/ui/Avatar';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { TextField } from '@/components/ui/TextField';
import { describeError } from '@/lib/api/errors';
import { useMessenger, useMessengerSelector } from '@/features/messenger';

export function GroupInfoDialog({ conversationId, onClose, onShowSafety }: { conversationId: string; onClose: () => void; onShowSafety: (userId: string) => void }) {
  const { actions } = useMessenger();
  const conv = useMessengerSelector((s) => s.conversations.byId[conversationId]);
  const meId = useMessengerSelector((s) => s.me.id);
  const contacts = useMessengerSelector((s) => s.contacts);
  const presence = useMessengerSelector((s) => s.presence);
  // Presence is known only while our own stream is live: no dot at all otherwise (as in the list).
  const live = useMessengerSelector((s) => s.connection === 'live');
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [leaving, setLeaving] = useState(false);

  if (!conv) return null;
  const name = conv.title || 'this group';

  async function leave() {
    setLeaving(true);
    setError(null);
    try {
      await actions.leave(conversationId);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setLeaving(false);
    }
  }

  async function add(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await actions.addToGroup(conversationId, username);
      setUsername('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={conv.title || 'Group'} onClose={onClose}>
      <h3 className="text-sm font-semibold text-slate-900">{conv.members.length} members</h3>
      <ul className="mt-2 divide-y divide-slate-100">
        {conv.members.map((m) => {
          const st = contacts[m.id]?.status;
          const me = m.id === meId;
          return (
            <li key={m.id} className="flex items-center gap-3 py-2">
              <Avatar name={m.username} seed={m.id} size="sm" online={live ? me || !!presence[m.id] : undefined} />
              <span className="flex-1 text-sm font-medium text-slate-800">
                {m.username} {me && <span className="text-slate-500">(you)</span>}
                {st?.kind === 'trusted' && st.pin?.verified && <span className="ml-2 text-xs font-semibold text-emerald-700">Verified</span>}
                {(st?.kind === 'changed' || st?.kind === 'invalid') && <span className="ml-2 text-xs font-semibold text-amber-700">Key changed</span>}
              </span>
              {!me && (
                <Button size="sm" variant="secondary" onClick={() => onShowSafety(m.id)}>
                  Safety number
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      <form onSubmit={add} className="mt-4 flex items-end gap-2 border-t border-slate-100 pt-4">
        <TextField className="flex-1" label="Add a member" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
        <Button type="submit" busy={busy} disabled={!username.trim()}>
          Add
        </Button>
      </form>
      {error && <Alert className="mt-3">{error}</Alert>}
      <div className="mt-5 border-t border-slate-100 pt-4">
        {confirmLeave ? (
          <div role="group" aria-labelledby="leave-heading" data-testid="leave-confirmation" className="rounded-lg bg-rose-50 p-3 ring-1 ring-rose-200">
            <h3 id="leave-heading" className="text-sm font-semibold text-rose-900">
              Leave “{name}”?
            </h3>
            <p className="mt-1 text-sm text-rose-900">
              You will stop receiving its messages, and the chat and its history disappear from this device. Only a member can add you back, and you will
              not be able to read what was sent while you were away.
            </p>
            <div className="mt-3 flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setConfirmLeave(false)} disabled={leaving}>
                Stay in the group
              </Button>
              <Button variant="danger" busy={leaving} onClick={() => void leave()}>
                Leave
              </Button>
            </div>
          </div>
        ) : (
          <Button variant="danger" onClick={() => setConfirmLeave(true)}>
            Leave group…
          </Button>
        )}
      </div>
    </Dialog>
  );
}
