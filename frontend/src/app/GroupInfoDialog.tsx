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
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (!conv) return null;

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
              <Avatar name={m.username} seed={m.id} size="sm" online={!!presence[m.id] || me} />
              <span className="flex-1 text-sm font-medium text-slate-800">
                {m.username} {me && <span className="text-slate-400">(you)</span>}
                {st?.kind === 'trusted' && st.pin?.verified && <span className="ml-2 text-xs font-semibold text-emerald-600">Verified</span>}
                {(st?.kind === 'changed' || st?.kind === 'invalid') && <span className="ml-2 text-xs font-semibold text-amber-600">Key changed</span>}
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
        <Button variant="danger" onClick={() => void actions.leave(conv.id).then(onClose, (e) => setError(describeError(e)))}>
          Leave group
        </Button>
      </div>
    </Dialog>
  );
}
