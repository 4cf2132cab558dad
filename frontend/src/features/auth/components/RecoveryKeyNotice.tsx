import { useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { CopyIcon } from '@/components/ui/icons';
import { AuthLayout } from '@/components/layouts/AuthLayout';

/** Shown exactly once after registration: the recovery key is never stored anywhere. */
export function RecoveryKeyNotice({ recoveryKey, onContinue }: { recoveryKey: string; onContinue: () => void }) {
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
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
        It is shown <strong>only once</strong>. Write it down or store it in a password manager. Anyone who has it and your username can take over your account.
      </Alert>
      <figure>
        <figcaption className="sr-only">Your recovery key</figcaption>
        <output data-testid="recovery-key" className="block rounded-xl bg-slate-900 px-4 py-4 text-center font-mono text-sm leading-7 tracking-wide break-all text-emerald-300 select-all sm:text-base">
          {recoveryKey}
        </output>
      </figure>
      <Button variant="secondary" className="mt-3 w-full" onClick={copy}>
        <CopyIcon className="h-4 w-4" /> {copied ? 'Copied to clipboard' : 'Copy recovery key'}
      </Button>
      <label className="mt-5 flex items-start gap-3 text-sm text-slate-700">
        <input type="checkbox" className="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
        I have saved my recovery key somewhere safe.
      </label>
      <Button className="mt-4 w-full" disabled={!saved} onClick={onContinue}>
        Continue to Courier
      </Button>
    </AuthLayout>
  );
}
