import { normalizeUsername } from '@/lib/protocol/username';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { TextField } from '@/components/ui/TextField';
import { CloseIcon } from '@/components/ui/icons';

export function NewGroupDialog({ onCreate, onClose }: { onCreate: (title: string, usernames: string[]) => Promise<void>; onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [member, setMember] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function add() {
    const name = normalizeUsername(member);
    if (name && !members.includes(name)) setMembers([...members, name]);
    setMember('');
  }
  function onKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      add();
    }
  }
  async function submit(e: FormEvent) {
    e.preventDefault();
    const all = member.trim() ? [...members, normalizeUsername(member)] : members;
    if (all.length < 2) return setError('Add at least two people (for one person, start a direct chat).');
    setBusy(true);
    setError(null);
    try {
      await onCreate(title, [...new Set(all)]);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }
  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        <TextField label="Group name" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} autoFocus />
        <div>
          <TextField label="Add members" autoCapitalize="none" spellCheck={false} autoComplete="off" value={member} onChange={(e) => setMember(e.target.value)} onKeyDown={onKey} hint="Type an exact username and press Enter." />
          {members.length > 0 && (
            <ul className="mt-2 flex flex-wrap gap-2" aria-label="Members to add">
              {members.map((m) => (
                <li key={m} className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-1 pr-1 pl-3 text-sm font-medium text-indigo-700">
                  {m}
                  <button type="button" aria-label={`Remove ${m}`} onClick={() => setMembers(members.filter((x) => x !== m))} className="rounded-full p-0.5 hover:bg-indigo-100">
                    <CloseIcon className="h-3.5 w-3.5" />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        {error && <Alert>{error}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={busy}>
            Create group
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
