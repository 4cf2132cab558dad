/** The 12 five-digit groups of a safety number, in a grid that is easy to read aloud. */
export function SafetyNumber({ value, label }: { value: string; label: string }) {
  const groups = value.split(' ');
  return (
    <div>
      <p className="sr-only">{label}</p>
      <p data-testid="safety-number" aria-label={`${label}: ${value}`} className="grid grid-cols-4 gap-x-4 gap-y-2 rounded-xl bg-slate-50 px-4 py-4 text-center font-mono text-lg tracking-wider text-slate-800 ring-1 ring-slate-200 sm:text-xl">
        {groups.map((g, i) => (
          <span key={i}>{g}</span>
        ))}
      </p>
    </div>
  );
}
