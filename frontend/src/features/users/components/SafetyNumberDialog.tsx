import { useId, useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { ShieldIcon } from '@/components/ui/icons';
import { SafetyNumber } from './SafetyNumber';

export interface SafetyNumberDialogProps {
  username: string;
  /** The safety number for the pinned key, or for the new key when `changed`. */
  safetyNumber: string | null;
  verified: boolean;
  /** The contact's key changed: show the new number and ask to accept it. */
  changed?: boolean;
  /** The server's answer failed our checks: nothing to accept. */
  invalidReason?: string;
  onVerify: (verified: boolean) => void;
  onAccept: () => void;
  onClose: () => void;
}

export function SafetyNumberDialog({ username, safetyNumber, verified, changed, invalidReason, onVerify, onAccept, onClose }: SafetyNumberDialogProps) {
  const [compared, setCompared] = useState(false);
  const comparedId = useId();
  return (
    <Dialog title={changed ? `${username}’s security key changed` : `Safety number with ${username}`} onClose={onClose}>
      {invalidReason ? (
        <Alert>
          The server returned keys for {username} that failed our checks ({invalidReason}). Messages to {username} stay blocked. This can mean the server is
          misbehaving.
        </Alert>
      ) : (
        <>
          {changed ? (
            <Alert tone="warning" className="mb-4">
              <span data-testid="key-change-explanation">
                {username} has a new security key. <strong>This is unexpected:</strong> Courier keys do not change when someone changes their password, recovers
                their account or signs in on another device. It can mean that someone, for instance the server, is trying to intercept your messages. Compare
                the new safety number with {username} in person or over a call you trust before you accept it.
              </span>
            </Alert>
          ) : (
            <p className="mb-4 text-sm text-slate-600">
              Compare these numbers with {username}, in person or over a call you trust. If they match on both devices, your conversation is end-to-end
              encrypted with the right person.
            </p>
          )}
          {safetyNumber ? <SafetyNumber value={safetyNumber} label={changed ? 'New safety number' : 'Safety number'} /> : <p className="text-sm text-slate-500">Loading keys…</p>}
          <div className="mt-5 flex flex-wrap items-center gap-3">
            {changed ? (
              <>
                <label htmlFor={comparedId} className="flex w-full items-start gap-2 text-sm text-slate-800">
                  <input
                    id={comparedId}
                    type="checkbox"
                    className="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
                    checked={compared}
                    disabled={!safetyNumber}
                    onChange={(e) => setCompared(e.target.checked)}
                  />
                  <span>I compared this safety number with {username} and it matches.</span>
                </label>
                {/* The safe choice is the prominent one; accepting needs the comparison first. */}
                <Button onClick={onClose}>Keep sending paused</Button>
                <Button variant="secondary" disabled={!compared || !safetyNumber} onClick={onAccept}>
                  Accept the new key
                </Button>
              </>
            ) : verified ? (
              <>
                <span className="inline-flex items-center gap-1.5 rounded-full bg-emerald-100 px-3 py-1 text-sm font-semibold text-emerald-700" data-testid="verified-badge">
                  <ShieldIcon className="h-4 w-4" /> Verified
                </span>
                <Button variant="ghost" onClick={() => onVerify(false)}>
                  Clear verification
                </Button>
              </>
            ) : (
              <Button onClick={() => onVerify(true)} disabled={!safetyNumber}>
                <ShieldIcon className="h-4 w-4" /> Mark as verified
              </Button>
            )}
          </div>
        </>
      )}
    </Dialog>
  );
}
