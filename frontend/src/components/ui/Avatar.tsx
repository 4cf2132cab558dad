/** Fills dark enough for white initials at 4.5:1 (and, mirrored in dark mode, light enough for dark ones). */
const palette = [
  'bg-indigo-600', 'bg-sky-700', 'bg-emerald-700', 'bg-amber-700', 'bg-rose-700',
  'bg-violet-600', 'bg-teal-700', 'bg-fuchsia-700', 'bg-orange-700', 'bg-cyan-700',
];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export function Avatar({ name, seed, online, size = 'md', group }: { name: string; seed: string; online?: boolean; size?: 'sm' | 'md' | 'lg'; group?: boolean }) {
  const dims = size === 'sm' ? 'h-8 w-8 text-xs' : size === 'lg' ? 'h-14 w-14 text-lg' : 'h-11 w-11 text-sm';
  const initials = group ? '#' : name.replace(/[^a-z0-9]/gi, '').slice(0, 2).toUpperCase() || '?';
  return (
    <span className="relative inline-flex shrink-0" aria-hidden="true">
      <span data-testid="avatar" className={`inline-flex items-center justify-center rounded-full font-semibold text-white ${dims} ${palette[hash(seed) % palette.length]}`}>{initials}</span>
      {online !== undefined && (
        <span data-testid="presence-dot" className={`absolute right-0 bottom-0 block h-3 w-3 rounded-full ring-2 ring-white ${online ? 'bg-emerald-600' : 'bg-slate-400'}`} />
      )}
    </span>
  );
}
