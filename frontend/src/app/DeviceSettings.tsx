//! Settings → This device: "Keep this device unlocked" and the idle auto-lock. Both are kept on this
//! device only (the record itself is the lock controller's business); see README, security.
import { Alert } from '@/components/ui/Alert';
import { IDLE_CHOICES, type LockSettings } from '@/features/auth';

export function DeviceSettings({ settings, onChange }: { settings: LockSettings; onChange: (next: LockSettings) => void }) {
  return (
    <div className="space-y-5">
      <section aria-labelledby="keep-heading" className="space-y-2">
        <h3 id="keep-heading" className="text-sm font-semibold text-slate-900">
          Unlocking
        </h3>
        <label className="flex items-start gap-2 text-sm text-slate-800">
          <input
            type="checkbox"
            className="mt-0.5 h-4 w-4 rounded border-slate-400 text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600"
            checked={settings.keepUnlocked}
            onChange={(e) => onChange({ ...settings, keepUnlocked: e.target.checked })}
          />
          <span>
            Keep this device unlocked
            <span className="block text-xs text-slate-600">
              Reloads and new tabs open without your password. Anyone who can use this browser profile can then read your messages until Courier locks. Use it only on a device
              no one else uses.
            </span>
          </span>
        </label>
      </section>
      <section className="space-y-2 border-t border-slate-100 pt-4">
        <label htmlFor="idle-lock" className="block text-sm font-semibold text-slate-900">
          Lock after inactivity
        </label>
        <select
          id="idle-lock"
          className="block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset focus-visible:outline-2 focus-visible:outline-indigo-600"
          value={settings.idleMinutes}
          onChange={(e) => onChange({ ...settings, idleMinutes: Number(e.target.value) })}
        >
          {IDLE_CHOICES.map((c) => (
            <option key={c.minutes} value={c.minutes}>
              {c.label}
            </option>
          ))}
        </select>
        <p className="text-xs text-slate-600">Activity in any Courier tab counts. Locking forgets your keys on this device until you enter your password again.</p>
      </section>
      <Alert tone="info">Lock at any time with “Lock now” on the Account tab. Signing out also forgets this device.</Alert>
    </div>
  );
}
