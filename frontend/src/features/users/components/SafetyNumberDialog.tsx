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
              {username} has a new security key. This is normal if they reinstalled or reset their account, but it can also mean someone is trying to intercept
              your messages. Compare the new safety number with {username} in person or over a call before you accept it.
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
                <Button variant="warning" onClick={onAccept}>
                  Accept the new key
                </Button>
                <Button variant="secondary" onClick={onClose}>
                  Not now
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
