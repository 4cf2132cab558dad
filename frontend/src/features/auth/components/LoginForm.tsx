import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { TextField } from '@/components/ui/TextField';
import { describeError } from '@/lib/api/errors';
import { signIn, type UnlockedSession } from '../flows';
import { retryAfterOf, useRetryCountdown, waitMessage } from '../retry-countdown';
import { AuthLayout, LinkButton } from '@/components/layouts/AuthLayout';
import { KeepUnlockedField } from './KeepUnlockedField';

export interface LoginFormProps {
  onSignedIn: (session: UnlockedSession, keepUnlocked: boolean) => void;
  onRegister: () => void;
  onRecover: () => void;
  /** Why the user is here again (session revoked, account deleted …). */
  notice?: { tone: 'error' | 'info' | 'success'; text: string } | null;
}

export function LoginForm({ onSignedIn, onRegister, onRecover, notice }: LoginFormProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [keepUnlocked, setKeepUnlocked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Throttled by the server: submit stays disabled while the wait counts down.
  const wait = useRetryCountdown();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (wait.left > 0) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username, password), keepUnlocked);
    } catch (err) {
      const seconds = retryAfterOf(err);
      if (seconds) wait.start(seconds);
      else setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthLayout
      title="Sign in"
      subtitle="Your password never leaves this device; it unlocks your keys here."
      footer={
        <>
          New to Courier? <LinkButton onClick={onRegister}>Create an account</LinkButton>
        </>
      }
    >
      {notice && !error && wait.left === 0 && <Alert tone={notice.tone} className="mb-4">{notice.text}</Alert>}
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <KeepUnlockedField checked={keepUnlocked} onChange={setKeepUnlocked} />
        {error && <Alert>{error}</Alert>}
        {wait.left > 0 && <Alert tone="warning">{waitMessage(wait.left)}</Alert>}
        <Button type="submit" className="w-full" busy={busy} disabled={!username || !password || wait.left > 0}>
          {busy ? 'Unlocking your keys…' : 'Sign in'}
        </Button>
      </form>
      <p className="mt-4 text-center text-sm">
        <LinkButton onClick={onRecover}>Forgot your password? Use your recovery key</LinkButton>
      </p>
    </AuthLayout>
  );
}
