/** The opt-in on the sign-in and unlock forms; off unless the person chose it on this device before. */
export function KeepUnlockedField({ checked, onChange }: { checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <label className="flex items-start gap-2 text-sm text-slate-800">
      <input
        type="checkbox"
        name="keep-unlocked"
        className="mt-0.5 h-4 w-4 rounded border-slate-400 text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span>
        Keep this device unlocked
        <span className="block text-xs text-slate-600">Reloads and new tabs open without asking again, until you lock, sign out or stay idle. Only on a device no one else uses.</span>
      </span>
    </label>
  );
}
