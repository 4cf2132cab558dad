import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Avatar } from '@/components/ui/Avatar';
import { Button } from '@/components/ui/Button';
import { TextField } from '@/components/ui/TextField';
import { describeError } from '@/lib/api/errors';
import { unlock, type DeviceRecord, type UnlockedSession } from '../flows';
import { AuthLayout, LinkButton } from '@/components/layouts/AuthLayout';
import { KeepUnlockedField } from './KeepUnlockedField';

export interface UnlockFormProps {
  device: DeviceRecord;
  onUnlocked: (s: UnlockedSession, keepUnlocked: boolean) => void;
  onSwitchUser: () => void;
  /** The choice made last time on this device. */
  defaultKeepUnlocked?: boolean;
  /** Why the app is locked, when it locked itself (idle, another tab, session ended). */
  notice?: string | null;
}

/** After a reload or a lock the private keys are gone from memory: the password unlocks them again. */
export function UnlockForm({ device, onUnlocked, onSwitchUser, defaultKeepUnlocked = false, notice }: UnlockFormProps) {
  const [password, setPassword] = useState('');
  const [keepUnlocked, setKeepUnlocked] = useState(defaultKeepUnlocked);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onUnlocked(await unlock(device, password), keepUnlocked);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthLayout
      title="Unlock Courier"
      subtitle="Your keys are kept only in memory. Enter your password to unlock them on this device."
      footer={
        <>
          Not {device.user.username}? <LinkButton onClick={onSwitchUser}>Sign in as someone else</LinkButton>
        </>
      }
    >
      <div className="mb-5 flex items-center gap-3 rounded-xl bg-slate-50 p-3">
        <Avatar name={device.user.username} seed={device.user.id} />
        <div>
          <p className="font-semibold text-slate-900">{device.user.username}</p>
          <p className="text-xs text-slate-500">Locked</p>
        </div>
      </div>
      {notice && !error && (
        <Alert tone="info" className="mb-4">
          {notice}
        </Alert>
      )}
      <form onSubmit={submit} className="space-y-4">
        <input type="text" name="username" autoComplete="username" value={device.user.username} readOnly hidden />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
        <KeepUnlockedField checked={keepUnlocked} onChange={setKeepUnlocked} />
        {error && <Alert>{error}</Alert>}
        <Button type="submit" className="w-full" busy={busy} disabled={!password}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </Button>
      </form>
    </AuthLayout>
  );
}
