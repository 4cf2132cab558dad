import { useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { CopyIcon, DownloadIcon } from '@/components/ui/icons';
import { TextField } from '@/components/ui/TextField';
import { AuthLayout } from '@/components/layouts/AuthLayout';

/** How a typed group is compared: any case, and the look-alikes the code never uses read as digits. */
const normalise = (s: string) => s.trim().toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');

function download(recoveryKey: string): void {
  const text = `Courier recovery code\n\n${recoveryKey}\n\nWith your username, this code resets your password and opens your messages.\nKeep it private and offline.\n`;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'courier-recovery-code.txt';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Shown exactly once after registration: the recovery code is never stored anywhere. It is made
 * of groups without look-alike characters so it can be written down by hand; it can be copied or
 * saved as a file; to continue, the person types its last group back, which shows it was kept.
 */
export function RecoveryKeyNotice({ recoveryKey, onContinue }: { recoveryKey: string; onContinue: () => void }) {
  const [copied, setCopied] = useState(false);
  const [typed, setTyped] = useState('');
  const groups = recoveryKey.split('-');
  const last = groups.at(-1) ?? '';
  const confirmed = normalise(typed) === last;
  async function copy() {
    try {
      await navigator.clipboard.writeText(recoveryKey);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <AuthLayout title="Save your recovery key" subtitle="If you forget your password, this key is the only way back into your account and your message history.">
      <Alert tone="warning" className="mb-4">
        It is shown <strong>only once</strong>. Write it down, save it as a file or store it in a password manager. Anyone who has it and your username can take over your account.
      </Alert>
      <figure>
        <figcaption className="sr-only">Your recovery key, {groups.length} groups of 4 characters</figcaption>
        <output
          data-testid="recovery-key"
          className="grid grid-cols-4 gap-x-3 gap-y-1 rounded-xl bg-slate-900 px-4 py-4 text-center font-mono text-base leading-7 tracking-widest text-emerald-300 select-all"
        >
          {groups.map((g, i) => (
            <span key={i}>
              {g}
              {i < groups.length - 1 && <span className="sr-only">-</span>}
            </span>
          ))}
        </output>
      </figure>
      <p className="mt-2 text-xs text-slate-600">Letters and digits only; there is no I, L, O or U, so every 1 and 0 is a digit.</p>
      <div className="mt-3 grid grid-cols-2 gap-2">
        <Button variant="secondary" onClick={copy}>
          <CopyIcon className="h-4 w-4" /> {copied ? 'Copied' : 'Copy'}
        </Button>
        <Button variant="secondary" onClick={() => download(recoveryKey)}>
          <DownloadIcon className="h-4 w-4" /> Save as file
        </Button>
      </div>
      <form
        className="mt-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (confirmed) onContinue();
        }}
      >
        <TextField
          label="Type the last group of your recovery key"
          hint={`To show you kept it: the ${groups.length}th group, 4 characters.`}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          maxLength={8}
          error={typed.trim().length >= 4 && !confirmed ? 'That is not the last group. Check what you saved.' : undefined}
        />
        <Button type="submit" className="mt-4 w-full" disabled={!confirmed}>
          Continue to Courier
        </Button>
      </form>
    </AuthLayout>
  );
}
