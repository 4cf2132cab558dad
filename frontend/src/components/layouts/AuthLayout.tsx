import type { ReactNode } from 'react';
import { Logo, LockIcon } from '@/components/ui/icons';

export function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle?: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-dvh items-center justify-center bg-gradient-to-br from-indigo-50 via-white to-sky-100 px-4 py-10">
      <div className="w-full max-w-md">
        <div className="mb-6 flex flex-col items-center text-center">
          <Logo className="h-14 w-14 drop-shadow" />
          <p className="mt-3 text-2xl font-bold tracking-tight text-slate-900">Courier</p>
          <p className="mt-1 flex items-center gap-1 text-sm text-slate-500">
            <LockIcon className="h-3.5 w-3.5" /> End-to-end encrypted messaging
          </p>
        </div>
        <section className="rounded-2xl bg-white/90 p-6 shadow-xl ring-1 shadow-indigo-100 ring-slate-200 backdrop-blur sm:p-8" aria-labelledby="auth-title">
          <h1 id="auth-title" className="text-xl font-semibold text-slate-900">
            {title}
          </h1>
          {subtitle && <p className="mt-1 text-sm text-slate-500">{subtitle}</p>}
          <div className="mt-6">{children}</div>
        </section>
        {footer && <div className="mt-5 text-center text-sm text-slate-600">{footer}</div>}
      </div>
    </main>
  );
}

export function LinkButton({ onClick, children }: { onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" onClick={onClick} className="font-semibold text-indigo-600 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600">
      {children}
    </button>
  );
}
