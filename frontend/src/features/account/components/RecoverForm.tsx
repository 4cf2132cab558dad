import { normalizeUsername } from '@/lib/protocol/username';
import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { TextField } from '@/components/ui/TextField';
import { AuthLayout, LinkButton } from '@/components/layouts/AuthLayout';
import { describeError } from '@/lib/api/errors';
import { recoverAccount } from '../flows';

/** Forgotten password: the recovery key re-wraps the same user key, so history survives. */
export function RecoverForm({ onRecovered, onBack }: { onRecovered: (username: string) => void; onBack: () => void }) {
  const [username, setUsername] = useState('');
  const [key, setKey] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password.length < 10) return setError('The new password needs at least 10 characters.');
    if (password !== confirm) return setError('The new passwords do not match.');
    setBusy(true);
    setError(null);
    try {
      await recoverAccount(username, key, password);
      onRecovered(normalizeUsername(username));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthLayout
      title="Recover your account"
      subtitle="Enter the recovery key you saved when you created the account, and choose a new password. All your other sessions will be signed out."
      footer={<LinkButton onClick={onBack}>Back to sign in</LinkButton>}
    >
      <form onSubmit={submit} className="space-y-4">
        <TextField label="Username" autoComplete="username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <div>
          <label htmlFor="recovery-key" className="block text-sm font-medium text-slate-700">
            Recovery key
          </label>
          <textarea
            id="recovery-key"
            rows={3}
            spellCheck={false}
            autoCapitalize="none"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="The 44-character key you saved, ending in ="
            className="mt-1 block w-full rounded-lg border-0 px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
          />
        </div>
        <TextField label="New password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <TextField label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        {error && <Alert>{error}</Alert>}
        <Button type="submit" className="w-full" busy={busy} disabled={!username || !key || !password}>
          Set new password
        </Button>
      </form>
    </AuthLayout>
  );
}
