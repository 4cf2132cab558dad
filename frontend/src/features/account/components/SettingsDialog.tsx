import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { TextField } from '@/components/ui/TextField';
import { describeError } from '@/lib/api/errors';
import type { KdfParams } from '@/lib/crypto';
import { changeAccountPassword, deleteOwnAccount, type PasswordContext } from '../flows';
import { SessionsList } from './SessionsList';

type Tab = 'account' | 'notifications' | 'device' | 'sessions' | 'danger';

export interface SettingsDialogProps {
  username: string;
  fingerprint: string;
  passwordContext: PasswordContext;
  onPasswordChanged: (next: { kdf: KdfParams; salt: string; wrappedUserKey: string }) => void;
  onLogout: () => void;
  /** Lock now (beside Sign out): the keys leave memory, every tab asks for the password. */
  onLock?: () => void;
  onDeleted: () => void;
  onClose: () => void;
  /** This device's notification settings (composed by the app from the messenger). */
  notifications?: ReactNode;
  /** This device's unlock settings: keep unlocked, idle lock (composed by the app). */
  device?: ReactNode;
}

/** The dialog keeps the password context it was opened with up to date: after a password change
 *  the salt, KDF and wrapped user key are the new ones, so a second change or an account deletion
 *  in the same dialog derives from the new password. */
export function SettingsDialog(props: SettingsDialogProps) {
  const [tab, setTab] = useState<Tab>('account');
  const [passwordContext, setPasswordContext] = useState(props.passwordContext);
  const onPasswordChanged = (next: { kdf: KdfParams; salt: string; wrappedUserKey: string }) => {
    setPasswordContext((ctx) => ({ ...ctx, kdf: next.kdf, salt: next.salt, wrappedUserKey: next.wrappedUserKey }));
    props.onPasswordChanged(next);
  };
  const tabProps = { ...props, passwordContext, onPasswordChanged };
  const tabs: [Tab, string][] = [
    ['account', 'Account'],
    ...(props.notifications ? [['notifications', 'Notifications'] as [Tab, string]] : []),
    ...(props.device ? [['device', 'This device'] as [Tab, string]] : []),
    ['sessions', 'Sessions'],
    ['danger', 'Delete account'],
  ];
  return (
    <Dialog title="Settings" onClose={props.onClose} wide>
      <div role="tablist" aria-label="Settings sections" className="mb-5 flex gap-1 rounded-lg bg-slate-100 p-1">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            role="tab"
            type="button"
            aria-selected={tab === id}
            onClick={() => setTab(id)}
            className={`flex-1 rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-600 ${tab === id ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900'}`}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'account' && <AccountTab {...tabProps} />}
        {tab === 'notifications' && props.notifications}
        {tab === 'device' && props.device}
        {tab === 'sessions' && <SessionsList />}
        {tab === 'danger' && <DeleteTab {...tabProps} />}
      </div>
    </Dialog>
  );
}

function AccountTab({ username, fingerprint, passwordContext, onPasswordChanged, onLogout, onLock }: SettingsDialogProps) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next.length < 10) return setResult({ ok: false, text: 'The new password needs at least 10 characters.' });
    if (next !== confirm) return setResult({ ok: false, text: 'The new passwords do not match.' });
    setBusy(true);
    setResult(null);
    try {
      onPasswordChanged(await changeAccountPassword(passwordContext, current, next));
      setResult({ ok: true, text: 'Password changed. Your other sessions were signed out.' });
      setCurrent('');
      setNext('');
      setConfirm('');
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-6">
      <section aria-labelledby="me-heading">
        <h3 id="me-heading" className="text-sm font-semibold text-slate-900">
          Signed in as {username}
        </h3>
        <p className="mt-1 text-xs text-slate-500">Your fingerprint. Contacts compare it (as part of a safety number) to make sure they talk to you.</p>
        <p data-testid="my-fingerprint" className="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm tracking-wider text-slate-800">
          {fingerprint}
        </p>
        <div className="mt-3 flex flex-wrap gap-2">
          {onLock && (
            <Button variant="secondary" onClick={onLock}>
              Lock now
            </Button>
          )}
          <Button variant="secondary" onClick={onLogout}>
            Sign out
          </Button>
        </div>
      </section>
      <form onSubmit={submit} className="space-y-3 border-t border-slate-100 pt-5" aria-labelledby="pw-heading">
        <h3 id="pw-heading" className="text-sm font-semibold text-slate-900">
          Change password
        </h3>
        <TextField label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        <TextField label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        {result && <Alert tone={result.ok ? 'success' : 'error'}>{result.text}</Alert>}
        <Button type="submit" busy={busy} disabled={!current || !next}>
          Change password
        </Button>
      </form>
    </div>
  );
}

function DeleteTab({ passwordContext, onDeleted }: SettingsDialogProps) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await deleteOwnAccount(passwordContext, password);
      onDeleted();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="space-y-3">
      <Alert tone="warning">
        <p>Deleting your account cannot be undone. It removes from the server your account, your public keys, your sessions and your place in every conversation.</p>
        <p className="mt-2" data-testid="delete-account-messages">
          Messages you already sent are <strong>not</strong> removed: the people who received them keep them. To take a message back, delete it for everyone
          before you delete your account.
        </p>
        <p className="mt-2">Your username becomes free: someone else could register it later.</p>
      </Alert>
      <TextField label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      {error && <Alert>{error}</Alert>}
      <Button type="submit" variant="danger" busy={busy} disabled={!password}>
        Delete my account
      </Button>
    </form>
  );
}
