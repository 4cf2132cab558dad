import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { TextField } from '@/components/ui/TextField';
import { describeError } from '@/lib/api/errors';
import { passwordProblem, registerAccount, usernameProblem, type Registration } from '../flows';
import { AuthLayout, LinkButton } from '@/components/layouts/AuthLayout';

export function RegisterForm({ onRegistered, onSignIn }: { onRegistered: (r: Registration) => void; onSignIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState('');
  const [error, setError] = useState<string | null>(null);

  const userErr = touched ? usernameProblem(username) : null;
  const passErr = touched ? passwordProblem(password) : null;
  const confirmErr = touched && confirm !== password ? 'The passwords do not match.' : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (usernameProblem(username) || passwordProblem(password) || confirm !== password) return;
    setBusy(true);
    setError(null);
    try {
      onRegistered(await registerAccount(username, password, setStep));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Your keys are generated on this device. The server only ever stores them encrypted."
      footer={
        <>
          Already have an account? <LinkButton onClick={onSignIn}>Sign in</LinkButton>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} error={userErr} hint="3–32 characters: a–z, 0–9, _ . -" autoFocus />
        <TextField label="Password" name="new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={passErr} hint="At least 10 characters. There is no way to reset it without your recovery key." />
        <TextField label="Confirm password" name="confirm-password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={confirmErr} />
        {error && <Alert>{error}</Alert>}
        <Button type="submit" className="w-full" busy={busy}>
          {busy ? step || 'Working…' : 'Create account'}
        </Button>
      </form>
    </AuthLayout>
  );
}
