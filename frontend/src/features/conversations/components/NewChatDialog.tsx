import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { TextField } from '@/components/ui/TextField';

/** Exact-username lookup only: there is no directory to browse. */
export function NewChatDialog({ onStart, onClose }: { onStart: (username: string) => Promise<void>; onClose: () => void }) {
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onStart(username);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }
  return (
    <Dialog title="New chat" onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        <TextField label="Username" autoCapitalize="none" spellCheck={false} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} hint="Enter the exact username of the person you want to write to." autoFocus />
        {error && <Alert>{error}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={busy} disabled={!username.trim()}>
            Start chat
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
