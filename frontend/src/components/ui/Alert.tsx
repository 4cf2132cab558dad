import type { ReactNode } from 'react';
import { AlertIcon, InfoIcon, ShieldIcon } from './icons';

const tones = {
  error: 'bg-rose-50 text-rose-800 ring-rose-200',
  info: 'bg-sky-50 text-sky-800 ring-sky-200',
  warning: 'bg-amber-50 text-amber-900 ring-amber-300',
  success: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
};

export function Alert({ tone = 'error', children, className = '', action }: { tone?: keyof typeof tones; children: ReactNode; className?: string; action?: ReactNode }) {
  const Icon = tone === 'info' ? InfoIcon : tone === 'success' ? ShieldIcon : AlertIcon;
  return (
    <div role={tone === 'error' || tone === 'warning' ? 'alert' : 'status'} className={`flex items-start gap-2 rounded-lg px-3 py-2 text-sm ring-1 ring-inset ${tones[tone]} ${className}`}>
      <Icon className="mt-0.5 h-4 w-4 shrink-0" />
      <div className="min-w-0 flex-1">{children}</div>
      {action}
    </div>
  );
}
